import type { Migration } from './types.js';

/**
 * The built-in token issuer's target state (src/connectors/tokens): identities, the credentials
 * issued to them (HMAC fingerprints only, never the secret) and the effects applied per
 * (run, step), so a repeated step is recognised as already applied.
 */
export const tokensMigration: Migration = {
  version: 5,
  name: 'tokens',
  statements: (t) => [
    `CREATE TABLE token_identities (
      system_id ${t.text} NOT NULL,
      identity_id ${t.text} NOT NULL,
      external_id ${t.text} NOT NULL,
      state ${t.text} NOT NULL,
      updated_at ${t.text} NOT NULL,
      PRIMARY KEY (system_id, identity_id)
    )`,
    `CREATE TABLE token_credentials (
      credential_id ${t.text} PRIMARY KEY,
      system_id ${t.text} NOT NULL,
      identity_id ${t.text} NOT NULL,
      kind ${t.text} NOT NULL,
      fingerprint ${t.text} NOT NULL UNIQUE,
      issued_at ${t.text} NOT NULL,
      expires_at ${t.text},
      revoked_at ${t.text},
      superseded_at ${t.text},
      grace_until ${t.text},
      superseded_by ${t.text},
      run_id ${t.text} NOT NULL,
      step_id ${t.text} NOT NULL
    )`,
    `CREATE INDEX token_credentials_identity ON token_credentials (system_id, identity_id)`,
    `CREATE TABLE token_operations (
      run_id ${t.text} NOT NULL,
      step_id ${t.text} NOT NULL,
      action ${t.text} NOT NULL,
      system_id ${t.text} NOT NULL,
      identity_id ${t.text} NOT NULL,
      credential_id ${t.text},
      outputs ${t.text} NOT NULL,
      applied_at ${t.text} NOT NULL,
      rolled_back_at ${t.text},
      PRIMARY KEY (run_id, step_id)
    )`,
  ],
};
