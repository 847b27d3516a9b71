import type { Migration } from './types.js';

export const ledgerMigration: Migration = {
  version: 1,
  name: 'ledger',
  statements: (t) => [
    `CREATE TABLE ledger_meta (key ${t.text} PRIMARY KEY, value ${t.text} NOT NULL)`,
    // One row: the sequencer's head. compact = the perfect-subtree hashes of [0, size) concatenated.
    `CREATE TABLE ledger_head (
      id ${t.int} PRIMARY KEY CHECK (id = 1),
      size ${t.int} NOT NULL,
      compact ${t.bytes} NOT NULL,
      last_leaf ${t.bytes},
      last_time ${t.text},
      pruned_below ${t.int} NOT NULL DEFAULT 0
    )`,
    `CREATE TABLE ledger_records (idx ${t.int} PRIMARY KEY, data ${t.bytes} NOT NULL)`,
    // Every complete, aligned subtree hash: (level, index) covers leaves [index*2^level, (index+1)*2^level).
    `CREATE TABLE ledger_nodes (
      level ${t.int} NOT NULL,
      idx ${t.int} NOT NULL,
      hash ${t.bytes} NOT NULL,
      PRIMARY KEY (level, idx)
    )`,
    `CREATE TABLE ledger_checkpoints (
      size ${t.int} PRIMARY KEY,
      note ${t.text} NOT NULL,
      created_at ${t.text} NOT NULL
    )`,
    // Cleartext of personal data committed to by records; deleting a row erases the data.
    `CREATE TABLE pii_vault (
      commitment ${t.text} PRIMARY KEY,
      salt ${t.bytes} NOT NULL,
      value ${t.text} NOT NULL,
      created_at ${t.text} NOT NULL
    )`,
  ],
};
