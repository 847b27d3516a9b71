export { RedisConnector, type RedisDeps } from './redis-connector.js';
export { tryLogin, type LoginOutcome } from './redis-login.js';
export { sha256Hex } from './redis-acl.js';
export type { RedisConnection, CommandLogger } from './redis-admin.js';
export {
  entitlementsOf,
  parseEntitlement,
  describeEntitlement,
  ruleOf,
  GRANTABLE_CATEGORIES,
  NEVER_CATEGORIES,
  RESERVED_PREFIX,
  type Entitlement,
} from './redis-entitlements.js';
export { overlapScope } from '../authority-check.js';
