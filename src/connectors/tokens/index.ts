export { TokensConnector, type TokensDeps } from './tokens-connector.js';
export {
  generateTokenSigningKey,
  generateTokenSigningJwk,
  tokenSigningKeyFromJwk,
  API_KEY_PREFIX,
  RUN_CLAIM,
  type TokenSigningKey,
} from './token-secrets.js';
export type { InvalidReason, PresentedResult } from './token-status.js';
