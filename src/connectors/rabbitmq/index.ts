export { RabbitmqConnector, type RabbitmqDeps } from './rabbitmq-connector.js';
export { HASHING_ALGORITHM, hashMatches, newPassword, passwordHash, saltOf } from './rmq-hash.js';
export { tryLogin, type LoginOutcome } from './rmq-login.js';
export { parseSettings, type AmqpEndpoint, type RmqSettings } from './rmq-settings.js';
export type { RequestLogger, SentRequest } from './rmq-http.js';
export {
  describeEntitlement,
  entitlementsOf,
  parseEntitlement,
  type Entitlement,
  type Permission,
} from './rmq-entitlements.js';
export { patternProblem, MAX_PATTERN_LENGTH } from './rmq-regex.js';
