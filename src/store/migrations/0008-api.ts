import type { Migration } from './types.js';

/**
 * The service and HTTP API: API tokens (only a SHA-256 of the secret is stored, under a public id
 * prefix), idempotency keys with the response they produced, and the ledger index — a projection of
 * the ledger (correlation id, type, time, and for a failed run step its target) that the service
 * catches up from the records, so a run's records and the metrics need no scan of the whole log.
 */
export const apiMigration: Migration = {
  version: 8,
  name: 'api',
  statements: (t) => [
    `CREATE TABLE api_tokens (
      id ${t.text} PRIMARY KEY,
      principal ${t.text} NOT NULL,
      secret_hash ${t.text} NOT NULL,
      name ${t.text} NOT NULL,
      scopes ${t.text} NOT NULL,
      created_by ${t.text} NOT NULL,
      created_at ${t.text} NOT NULL,
      expires_at ${t.text} NOT NULL,
      revoked_at ${t.text}
    )`,
    `CREATE INDEX api_tokens_principal ON api_tokens (principal)`,
    `CREATE TABLE api_idempotency (
      principal ${t.text} NOT NULL,
      idem_key ${t.text} NOT NULL,
      request_hash ${t.text} NOT NULL,
      status ${t.int},
      response ${t.text},
      created_at ${t.text} NOT NULL,
      PRIMARY KEY (principal, idem_key)
    )`,
    `CREATE INDEX api_idempotency_created ON api_idempotency (created_at)`,
    `CREATE TABLE ledger_index (
      idx ${t.int} PRIMARY KEY,
      correlation_id ${t.text} NOT NULL,
      type ${t.text} NOT NULL,
      time ${t.text} NOT NULL,
      target ${t.text}
    )`,
    `CREATE INDEX ledger_index_correlation ON ledger_index (correlation_id, idx)`,
    `CREATE INDEX ledger_index_type ON ledger_index (type, idx)`,
  ],
};
