/**
 * The storage seam: one schema, one set of migrations, two dialects (SQLite and PostgreSQL).
 * SQL is written once with `?` placeholders; the PostgreSQL dialect numbers them.
 * Integers come back as JS numbers (ledger indexes stay below 2^53); bytes as Buffers.
 */
export type Dialect = 'sqlite' | 'postgres';

export type SqlParam = string | number | bigint | boolean | null | Uint8Array;
export type Row = Record<string, unknown>;

export interface Sql {
  readonly dialect: Dialect;
  query<T extends Row = Row>(sql: string, params?: readonly SqlParam[]): Promise<T[]>;
  /** Executes a statement, returning the number of rows it changed. */
  run(sql: string, params?: readonly SqlParam[]): Promise<number>;
}

/**
 * The single connection through which all writes of this process go. A transaction is opened and
 * closed explicitly so that the ledger can group-commit many callers' work into one durable commit.
 */
export interface WriteConnection extends Sql {
  begin(): Promise<void>;
  commit(): Promise<void>;
  rollback(): Promise<void>;
  savepoint(name: string): Promise<void>;
  release(name: string): Promise<void>;
  rollbackTo(name: string): Promise<void>;
  /**
   * Reads the ledger head (HEAD_SELECT) and holds it until the current transaction ends, which
   * serialises ledger sequencing across every process sharing the database (PostgreSQL: the head
   * row `FOR UPDATE`, one round trip for the lock and the read, and a waiter reads the head its
   * predecessor committed; SQLite: the write lock the transaction already holds).
   */
  readHeadForUpdate<T extends Row = Row>(): Promise<T[]>;
  /**
   * Writes what the ledger sequencer produced in the current transaction, and commits it: the
   * records and their tree nodes, and the new head only if the head still has `fromSize` records
   * (otherwise the write fails, and the transaction rolls back instead of committing). PostgreSQL
   * sends the writes and the COMMIT back to back without waiting for the writes' answers (pipeline
   * mode). Rejects with CommitOutcomeUnknown when the transaction may have committed (the commit,
   * or the connection, failed), with any other error when it certainly did not.
   */
  commitSequenced(write: SequencedWrite): Promise<void>;
  /** Inserts many rows in few round trips. */
  insertMany(
    table: string,
    columns: readonly string[],
    rows: readonly (readonly SqlParam[])[],
  ): Promise<void>;
}

export interface SequencedWrite {
  /** `ledger_records` rows: idx, data. */
  readonly records: readonly (readonly SqlParam[])[];
  /** `ledger_nodes` rows: level, idx, hash. */
  readonly nodes: readonly (readonly SqlParam[])[];
  /** The new `ledger_head`: size, compact, last_leaf, last_time. */
  readonly head: readonly [number, Uint8Array, Uint8Array | null, string];
  readonly fromSize: number;
}

/**
 * A commit whose outcome could not be learnt (its answer, or the connection, was lost): the
 * transaction may or may not have committed. The cause is kept.
 */
export class CommitOutcomeUnknown extends Error {
  constructor(cause: unknown) {
    super('the commit failed; whether the transaction committed is unknown', { cause });
  }
}

export const HEAD_SELECT =
  'SELECT size, compact, last_leaf, last_time, pruned_below FROM ledger_head WHERE id = 1';

export const HEAD_UPDATE =
  'UPDATE ledger_head SET size = ?, compact = ?, last_leaf = ?, last_time = ? WHERE id = 1 AND size = ?';

export interface Store {
  readonly dialect: Dialect;
  /** For reads outside the write transaction (never sees uncommitted work). */
  readonly read: Sql;
  readonly write: WriteConnection;
  /** A human-readable description without secrets. */
  readonly description: string;
  close(): Promise<void>;
}
