export { generateAuthorityKey, authorityKeyFromJwk, authorityJwks, type AuthorityKey } from './keys.js';
export {
  createAuthorityIssuer,
  type AuthorityIssuer,
  type AuthorityIssuerOptions,
  type MintRequest,
  type MintedAuthority,
} from './issuer.js';
export {
  createAuthorityVerifier,
  requireAuthority,
  type AuthorityScope,
  type AuthorityVerifier,
  type AuthorityVerifierOptions,
} from './verifier.js';
export {
  AUTHORITY_AUDIENCE,
  AUTHORITY_TYP,
  MAX_AUTHORITY_TTL_SECONDS,
  type AuthorityClaims,
  type AuthorityGrant,
} from './types.js';
