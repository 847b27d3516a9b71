export { MariadbConnector, type MariadbDeps } from './mariadb-connector.js';
export type { MariadbConnection } from './mdb-admin.js';
export type { CrashPoint } from './mdb-apply.js';
export { nativeHash, newPassword, NATIVE_HASH } from './native-password.js';
export { accountOf, assertUser, assertHost, quoteIdent, quoteString, type Account } from './mdb-sql.js';
export { tryLogin, classifyLogin, type LoginOutcome } from './mdb-login.js';
export { toConnectorError } from './mdb-errors.js';
export {
  entitlementsOf,
  parseEntitlement,
  describeGrant,
  type Grant,
  type GrantKind,
} from './mdb-entitlements.js';
