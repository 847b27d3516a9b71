import type { Migration } from './types.js';

/** Deployed workflow bundle versions (retrievable by hash) and their governed approvals. */
export const workflowsMigration: Migration = {
  version: 3,
  name: 'workflows',
  statements: (t) => [
    `CREATE TABLE bundle_versions (
      hash ${t.text} PRIMARY KEY,
      name ${t.text} NOT NULL,
      version_label ${t.text} NOT NULL,
      author ${t.text} NOT NULL,
      filed_by ${t.text} NOT NULL,
      filed_at ${t.text} NOT NULL,
      status ${t.text} NOT NULL,
      files ${t.bytes} NOT NULL,
      changes ${t.text} NOT NULL,
      required_approvers ${t.text} NOT NULL,
      filed_index ${t.int},
      filed_leaf ${t.text},
      decided_at ${t.text}
    )`,
    // At most one active version.
    `CREATE UNIQUE INDEX bundle_versions_one_active ON bundle_versions (status) WHERE status = 'active'`,
    `CREATE TABLE bundle_approvals (
      hash ${t.text} NOT NULL,
      approver ${t.text} NOT NULL,
      decision ${t.text} NOT NULL,
      rationale ${t.text},
      decided_at ${t.text} NOT NULL,
      PRIMARY KEY (hash, approver)
    )`,
  ],
};
