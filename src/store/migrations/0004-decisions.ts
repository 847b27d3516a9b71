import type { Migration } from './types.js';

/** Recorded policy decisions (a projection of `policy.decided` records), replayed by `workflows diff`. */
export const decisionsMigration: Migration = {
  version: 4,
  name: 'decisions',
  statements: (t) => [
    `CREATE TABLE policy_decisions (
      decision_id ${t.text} PRIMARY KEY,
      bundle_hash ${t.text} NOT NULL,
      request ${t.text} NOT NULL,
      allowed ${t.int} NOT NULL,
      decided_at ${t.text} NOT NULL
    )`,
  ],
};
