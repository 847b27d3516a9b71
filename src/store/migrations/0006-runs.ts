import type { Migration } from './types.js';

/** Runs: the durable state of each request, its steps and its signed approvals. */
export const runsMigration: Migration = {
  version: 6,
  name: 'runs',
  statements: (t) => [
    `CREATE TABLE runs (
      id ${t.text} PRIMARY KEY,
      requester ${t.text} NOT NULL,
      idempotency_key ${t.text} NOT NULL,
      request ${t.text} NOT NULL,
      input_hash ${t.text} NOT NULL,
      justification ${t.text} NOT NULL,
      state ${t.text} NOT NULL,
      reason ${t.text},
      workflow ${t.text},
      bundle_hash ${t.text},
      decision ${t.text},
      digest ${t.text},
      executor ${t.text},
      attempts ${t.int} NOT NULL DEFAULT 0,
      created_at ${t.text} NOT NULL,
      updated_at ${t.text} NOT NULL,
      UNIQUE (requester, idempotency_key)
    )`,
    `CREATE TABLE run_steps (
      run_id ${t.text} NOT NULL,
      step_id ${t.text} NOT NULL,
      action ${t.text} NOT NULL,
      system_id ${t.text} NOT NULL,
      identity_id ${t.text} NOT NULL,
      params ${t.text} NOT NULL,
      status ${t.text} NOT NULL,
      prior ${t.text},
      outputs ${t.text},
      PRIMARY KEY (run_id, step_id)
    )`,
    `CREATE TABLE run_approvals (
      run_id ${t.text} NOT NULL,
      principal ${t.text} NOT NULL,
      decision ${t.text} NOT NULL,
      groups ${t.text} NOT NULL,
      signed ${t.text} NOT NULL,
      at ${t.text} NOT NULL,
      PRIMARY KEY (run_id, principal)
    )`,
    `CREATE TABLE approver_keys (
      key_id ${t.text} PRIMARY KEY,
      principal ${t.text} NOT NULL,
      public_key ${t.text} NOT NULL,
      registered_at ${t.text} NOT NULL,
      revoked_at ${t.text}
    )`,
  ],
};
