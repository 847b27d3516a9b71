export { PostgresConnector, type PostgresDeps } from './postgres-connector.js';
export { scramVerifier, parseVerifier } from './scram.js';
export { quoteIdent, quoteLiteral, assertRoleName } from './sql-escape.js';
export { tryLogin, classifyLogin, type LoginOutcome } from './pg-login.js';
export type { PgConnection } from './pg-admin.js';
export {
  entitlementsOf,
  parseEntitlement,
  describeGrant,
  type Grant,
  type GrantKind,
} from './pg-entitlements.js';
