/**
 * One error vocabulary for all of Custos: a base error with a stable string `code`, an optional
 * `cause`, optional structured `details` (never secrets), and for effects on targets `retryable`.
 * Programmer misuse throws TypeError; bad untrusted input throws a CustosError with a code below.
 * This file has no imports so that the standalone verifier can use it.
 */
export const ERROR_CODES = [
  // configuration and input
  'CONFIG_INVALID',
  'INPUT_INVALID',
  'KEY_MISSING',
  'KEY_MALFORMED',
  'KEY_FILE_INSECURE',
  'KEY_MISMATCH',
  'ALREADY_INITIALISED',
  'NOT_INITIALISED',
  // storage
  'STORE_UNAVAILABLE',
  'STORE_MIGRATION_FAILED',
  'STORE_CONFLICT',
  'NOT_FOUND',
  // canonical JSON and records
  'CANONICAL_JSON_INVALID',
  'RECORD_MALFORMED',
  'RECORD_NONCANONICAL',
  'RECORD_INDEX_MISMATCH',
  'RECORD_CHAIN_BROKEN',
  'RECORD_REF_INVALID',
  'RECORD_MISSING',
  'RECORD_SECRET_FIELD',
  'LEAF_HASH_MISMATCH',
  'NODE_HASH_MISMATCH',
  // Merkle proofs
  'HASH_LENGTH_INVALID',
  'PROOF_INDEX_OUT_OF_RANGE',
  'PROOF_SIZE_INVALID',
  'PROOF_LENGTH_INVALID',
  'PROOF_ROOT_MISMATCH',
  'PROOF_MALFORMED',
  // signed notes, keys, checkpoints, cosignatures
  'VKEY_MALFORMED',
  'SKEY_MALFORMED',
  'NOTE_MALFORMED',
  'NOTE_UNKNOWN_KEY',
  'NOTE_SIGNATURE_INVALID',
  'NOTE_UNVERIFIED',
  'CHECKPOINT_MALFORMED',
  'CHECKPOINT_ORIGIN_MISMATCH',
  'CHECKPOINT_ROOT_MISMATCH',
  'CHECKPOINT_SIZE_MISMATCH',
  'CHECKPOINT_INCONSISTENT',
  'CHECKPOINT_SIGNER_UNKNOWN',
  'CHECKPOINT_MISSING',
  'COSIGNATURE_INVALID',
  'COSIGNATURE_UNKNOWN_WITNESS',
  // ledger operations
  'LEDGER_EMPTY',
  'LEDGER_PRUNED',
  'LEDGER_APPEND_FAILED',
  'LEDGER_TIME_INVALID',
  // witness
  'WITNESS_UNKNOWN_LOG',
  'WITNESS_CONFLICT',
  'WITNESS_REJECTED',
  // exports
  'EXPORT_MALFORMED',
  'EXPORT_TARGET_EXISTS',
  // inventory: validation of systems, identities, principals and their imports
  'DUPLICATE_ID',
  'ENUM_INVALID',
  'FIELD_IMMUTABLE',
  'FIELD_INVALID',
  'FIELD_REQUIRED',
  'FINGERPRINT_INVALID',
  'IMPORT_INVALID',
  'IMPORT_MALFORMED',
  'PRINCIPAL_KIND_INVALID',
  'PRINCIPAL_UNKNOWN',
  'SOD_VIOLATION',
  'SECRET_NOT_REFERENCE',
  'STATE_TRANSITION_INVALID',
  'SYSTEM_UNKNOWN',
  // vault (personal data commitments)
  'COMMITMENT_ERASED',
  'COMMITMENT_UNKNOWN',
  // workflow bundles (policy as code): every problem also names its file and line
  'BUNDLE_INVALID',
  'BUNDLE_TOO_LARGE',
  'FILE_MISSING',
  'FILE_UNEXPECTED',
  'YAML_INVALID',
  'UNKNOWN_FIELD',
  'MANIFEST_INVALID',
  'WORKFLOW_INVALID',
  'WORKFLOW_OVERLAP',
  'OWNERS_MISSING',
  'ESCALATION_MISSING',
  'ROLLBACK_MISSING',
  'ROUTE_UNKNOWN',
  'ROUTE_UNSAFE',
  'ROUTE_NEEDS_HUMAN',
  'CEDAR_SCHEMA_INVALID',
  'SCHEMA_INCOMPATIBLE',
  'CEDAR_SYNTAX',
  'CEDAR_TYPE',
  'CEDAR_TOO_COMPLEX',
  'POLICY_ID_MISSING',
  'POLICY_ID_DUPLICATE',
  'POLICY_RISK_MISSING',
  'POLICY_ANNOTATION_INVALID',
  'POLICY_WORKFLOW_UNKNOWN',
  'POLICY_UNGOVERNED',
  'GOLDEN_INVALID',
  'GOLDEN_UNKNOWN_ENTITY',
  'GOLDEN_MISMATCH',
  // delegated authority (src/authority) and signed approvals (src/approvals)
  'AUTHORITY_INVALID',
  'AUTHORITY_EXPIRED',
  'AUTHORITY_SCOPE',
  'SIGNATURE_INVALID',
  'APPROVER_KEY_UNKNOWN',
  'APPROVAL_EXPIRED',
  'APPROVAL_NOT_ELIGIBLE',
  // connectors (effects on targets: every error says whether it is retryable) and issued tokens
  'CONNECTOR_UNAVAILABLE',
  'CONNECTOR_REFUSED',
  'TARGET_STATE_MISMATCH',
  'TOKEN_INVALID',
  'TOKEN_EXPIRED',
  'TOKEN_REVOKED',
  // runs
  'RUN_TRANSITION_INVALID',
  'RUN_NOT_FOUND',
  'RUN_DUPLICATE',
  'RUN_NOT_APPROVABLE',
  // the service and HTTP API (src/service, src/api): authentication, authorization, request limits
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'RATE_LIMITED',
  'BODY_TOO_LARGE',
  'MEDIA_TYPE_UNSUPPORTED',
  'METHOD_NOT_ALLOWED',
  'IDEMPOTENCY_KEY_MISSING',
  'IDEMPOTENCY_KEY_REUSED',
  'IDEMPOTENCY_KEY_IN_USE',
  'INTERNAL_ERROR',
  'SERVER_UNAVAILABLE',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export interface CustosErrorOptions {
  readonly cause?: unknown;
  /** Structured, non-secret context (for example the first bad index of a ledger). */
  readonly details?: Readonly<Record<string, string | number | boolean | null>>;
  /** For effects on targets: whether the same call may succeed if retried. */
  readonly retryable?: boolean;
}

export class CustosError extends Error {
  readonly code: ErrorCode;
  readonly details: Readonly<Record<string, string | number | boolean | null>>;
  readonly retryable: boolean;

  constructor(code: ErrorCode, message: string, options: CustosErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'CustosError';
    this.code = code;
    this.details = options.details ?? {};
    this.retryable = options.retryable ?? false;
  }
}

export function isCustosError(value: unknown, code?: ErrorCode): value is CustosError {
  return value instanceof CustosError && (code === undefined || value.code === code);
}
