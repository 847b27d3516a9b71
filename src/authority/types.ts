/** The claims of a delegated authority: one run, one request digest, exactly the approved steps. */
import type { StepAction } from '../connectors/contract.js';

/** One approved effect: an action on one identity of one system (ids as in the inventory). */
export interface AuthorityGrant {
  /** A step's action, or `end_overlaps`: the host loop's sweep of expired rotation overlaps. */
  readonly action: StepAction | 'end_overlaps';
  readonly system: string;
  readonly identity: string;
}

/** The registered claims (RFC 7519 §4.1) plus Custos' own, as they appear in the JWT. */
export interface AuthorityClaims {
  readonly iss: string;
  /** The workflow's executor identity, e.g. `executor:postgres-service-accounts`. */
  readonly sub: string;
  readonly aud: typeof AUTHORITY_AUDIENCE;
  readonly jti: string;
  readonly iat: number;
  readonly nbf: number;
  readonly exp: number;
  readonly run_id: string;
  readonly req_digest: string;
  readonly grants: readonly AuthorityGrant[];
}

export const AUTHORITY_AUDIENCE = 'custos-connector';
/** JWT `typ` header (RFC 8725 §3.11: explicit typing keeps other JWTs from being accepted as this). */
export const AUTHORITY_TYP = 'custos-authority+jwt';
/** A hard ceiling on lifetime whatever the step timeout says: the credential is short-lived. */
export const MAX_AUTHORITY_TTL_SECONDS = 24 * 60 * 60;
