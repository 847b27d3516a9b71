/**
 * PostgreSQL through `pg`. Many processes may share one database: each process has one write
 * connection (its group-committed transactions) and a small pool for reads; ledger sequencing
 * across processes is serialised by the lock on the ledger's head row (readHeadForUpdate).
 */
import pg from 'pg';
import { CustosError } from '../core/errors.js';
import { redactUrl } from '../config/config.js';
import {
  CommitOutcomeUnknown,
  HEAD_SELECT,
  HEAD_UPDATE,
  type Row,
  type SequencedWrite,
  type Sql,
  type SqlParam,
  type Store,
  type WriteConnection,
} from './sql.js';

// PostgreSQL accepts at most 65535 bind parameters per statement.
const MAX_PARAMS = 65_000;

// int8 and numeric counts as JS numbers: ledger indexes and sizes stay below 2^53.
const INT8_OID = 20;
const types: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID
      ? (v: string) => Number(v)
      : (pg.types.getTypeParser as (o: number, f?: string) => unknown)(
          oid,
          format,
        )) as pg.CustomTypesConfig['getTypeParser'],
};

/** Numbers `?` placeholders as `$1..$n`. Custos SQL never puts `?` inside literals. */
export function numberPlaceholders(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

type Queryable = Pick<pg.Pool, 'query'> | Pick<pg.Client, 'query'>;

class PostgresSql implements Sql {
  readonly dialect = 'postgres' as const;
  private readonly texts = new Map<string, { text: string; name: string | undefined }>();

  constructor(protected readonly db: Queryable) {}

  /**
   * The numbered text of `sql`, and for a SELECT a statement name: each connection then parses and
   * plans it once (a prepared statement) instead of on every call, which is most of the latency of
   * a proof's node lookup. Names are per store (each store has its own connections).
   */
  protected statement(sql: string): { text: string; name: string | undefined } {
    let statement = this.texts.get(sql);
    if (statement === undefined) {
      statement = {
        text: numberPlaceholders(sql),
        name: sql.startsWith('SELECT ') ? `custos_select_${this.texts.size}` : undefined,
      };
      this.texts.set(sql, statement);
    }
    return statement;
  }

  async query<T extends Row = Row>(sql: string, params: readonly SqlParam[] = []): Promise<T[]> {
    const { text, name } = this.statement(sql);
    const result = await this.db.query(
      name === undefined
        ? { text, values: params as unknown[] }
        : { name, text, values: params as unknown[] },
    );
    return result.rows as T[];
  }

  async run(sql: string, params: readonly SqlParam[] = []): Promise<number> {
    const { text } = this.statement(sql);
    const result = await this.db.query(text, params as unknown[]);
    return result.rowCount ?? 0;
  }
}

// Rows per INSERT statement: the largest that fits (at most MAX_ROWS_PER_INSERT), then smaller
// fixed sizes, so a connection prepares only a handful of statements; the last few rows go in
// one unprepared statement.
const MAX_ROWS_PER_INSERT = 1024;
// A sequenced batch up to this many parameters goes as one unprepared statement (sequencedWrites).
const ONE_STATEMENT_PARAMS = 2000;
const SMALLER_INSERTS = [256, 64] as const;

function valuesOf(
  rows: readonly (readonly SqlParam[])[],
  start: number,
  size: number,
  width: number,
): unknown[] {
  const values = new Array<unknown>(size * width);
  for (let r = 0; r < size; r++) {
    const row = rows[start + r]!;
    for (let c = 0; c < width; c++) values[r * width + c] = row[c];
  }
  return values;
}

/**
 * The head's UPDATE as a WITH clause and the statement's result, its placeholders numbered after
 * `before` others: `1 / count(*)` fails with division_by_zero when no head row changed (the head
 * moved), so the statement fails instead of reporting it, and the COMMIT behind it rolls back.
 */
function checkedHeadUpdate(before: number): string {
  const update = numberPlaceholders(HEAD_UPDATE).replace(
    /\$(\d+)/g,
    (_m, n: string) => `$${before + Number(n)}`,
  );
  return `h AS (${update} RETURNING 1) SELECT 1 / count(*) AS one FROM h`;
}

class PostgresWriteConnection extends PostgresSql implements WriteConnection {
  private readonly inserts = new Map<string, { name: string; text: string }>();

  constructor(private readonly client: pg.Client) {
    super(client);
  }
  async begin(): Promise<void> {
    await this.client.query('BEGIN');
  }
  async commit(): Promise<void> {
    await this.client.query('COMMIT');
  }
  async rollback(): Promise<void> {
    await this.client.query('ROLLBACK');
  }
  async savepoint(name: string): Promise<void> {
    await this.client.query(`SAVEPOINT ${name}`);
  }
  async release(name: string): Promise<void> {
    await this.client.query(`RELEASE SAVEPOINT ${name}`);
  }
  async rollbackTo(name: string): Promise<void> {
    await this.client.query(`ROLLBACK TO SAVEPOINT ${name}`);
    await this.client.query(`RELEASE SAVEPOINT ${name}`);
  }
  readHeadForUpdate<T extends Row = Row>(): Promise<T[]> {
    return this.query<T>(`${HEAD_SELECT} FOR UPDATE`);
  }

  /**
   * The sequenced writes and the COMMIT, sent back to back (this connection is in pipeline mode):
   * one round trip. A statement the server refuses aborts the transaction, and the COMMIT behind it
   * then rolls back; so does a head that moved, since the head's UPDATE divides by the number of
   * rows it changed.
   */
  async commitSequenced(write: SequencedWrite): Promise<void> {
    const writes = Promise.all(this.sequencedWrites(write));
    const commit = this.client.query('COMMIT');
    const [written, committed] = await Promise.allSettled([writes, commit]);
    if (written.status === 'rejected') {
      // The server's refusal is an answer (nothing committed); a lost connection is not.
      throw written.reason instanceof pg.DatabaseError
        ? written.reason
        : new CommitOutcomeUnknown(written.reason);
    }
    if (committed.status === 'rejected') throw new CommitOutcomeUnknown(committed.reason);
    // COMMIT of a transaction that failed earlier answers ROLLBACK, without an error.
    if (committed.value.command !== 'COMMIT') {
      throw new Error(`the transaction was rolled back at COMMIT (${committed.value.command})`);
    }
  }

  /**
   * A small batch (a group commit of a few runs) as ONE statement, the inserts as data-modifying
   * WITH clauses of the head's UPDATE; a large one as prepared multi-row INSERTs (issueInserts),
   * which the server plans once per connection, then the head's UPDATE. Issued now, answered later.
   */
  private sequencedWrites(write: SequencedWrite): Promise<unknown>[] {
    const { records, nodes, head, fromSize } = write;
    if (2 * records.length + 3 * nodes.length > ONE_STATEMENT_PARAMS) {
      return [
        ...this.issueInserts('ledger_records', ['idx', 'data'], records),
        ...this.issueInserts('ledger_nodes', ['level', 'idx', 'hash'], nodes),
        this.client.query(`WITH ${checkedHeadUpdate(0)}`, [...head, fromSize]),
      ];
    }
    const values: unknown[] = [];
    const tuples = (rows: readonly (readonly SqlParam[])[]) =>
      rows.map((row) => `(${row.map((v) => `$${values.push(v)}`).join(',')})`).join(',');
    const parts = [`r AS (INSERT INTO ledger_records (idx,data) VALUES ${tuples(records)})`];
    if (nodes.length > 0)
      parts.push(`n AS (INSERT INTO ledger_nodes (level,idx,hash) VALUES ${tuples(nodes)})`);
    parts.push(checkedHeadUpdate(values.length));
    values.push(...head, fromSize);
    return [this.client.query(`WITH ${parts.join(', ')}`, values)];
  }

  async insertMany(
    table: string,
    columns: readonly string[],
    rows: readonly (readonly SqlParam[])[],
  ): Promise<void> {
    await Promise.all(this.issueInserts(table, columns, rows));
  }

  /**
   * Multi-row INSERTs in a few fixed sizes, each a named prepared statement of this connection:
   * the server parses and plans a statement of thousands of placeholders once per connection
   * instead of once per commit, and the statement texts are built once. All are sent at once.
   */
  private issueInserts(
    table: string,
    columns: readonly string[],
    rows: readonly (readonly SqlParam[])[],
  ): Promise<unknown>[] {
    const width = columns.length;
    const issued: Promise<unknown>[] = [];
    // PostgreSQL accepts at most 65535 bind parameters per statement.
    const largest = Math.max(1, Math.min(MAX_ROWS_PER_INSERT, Math.floor(MAX_PARAMS / width)));
    let start = 0;
    for (const size of [largest, ...SMALLER_INSERTS.filter((n) => n < largest)]) {
      if (rows.length - start < size) continue;
      const statement = this.insertStatement(table, columns, size);
      while (rows.length - start >= size) {
        const values = valuesOf(rows, start, size, width);
        issued.push(this.client.query({ name: statement.name, text: statement.text, values }));
        start += size;
      }
    }
    // The rest (fewer than the smallest prepared size above 1): one statement of exactly that
    // many rows, parsed as it comes (a group commit of a few runs is mostly such a rest).
    const rest = rows.length - start;
    if (rest > 0) {
      const text = `INSERT INTO ${table} (${columns.join(',')}) VALUES ${Array.from(
        { length: rest },
        (_, r) => `(${columns.map((_c, c) => `$${r * width + c + 1}`).join(',')})`,
      ).join(',')}`;
      issued.push(this.client.query(text, valuesOf(rows, start, rest, width)));
    }
    return issued;
  }

  private insertStatement(
    table: string,
    columns: readonly string[],
    size: number,
  ): { name: string; text: string } {
    const key = `${table}(${columns.join(',')})x${size}`;
    let statement = this.inserts.get(key);
    if (statement === undefined) {
      const width = columns.length;
      const tuples = Array.from(
        { length: size },
        (_, r) => `(${columns.map((_c, c) => `$${r * width + c + 1}`).join(',')})`,
      );
      statement = {
        name: `custos_insert_${this.inserts.size}`,
        text: `INSERT INTO ${table} (${columns.join(',')}) VALUES ${tuples.join(',')}`,
      };
      this.inserts.set(key, statement);
    }
    return statement;
  }
}

// Sessions run at READ COMMITTED, whatever the server's or database's default: the ledger's head
// lock relies on a waiter reading the head its predecessor committed (a stricter level fails it
// instead), and the token issuer reads its batches without a transaction because a statement there
// sees what one inside a transaction would (connectors/tokens/token-store.ts). A space in an option
// value is escaped.
const ISOLATION = 'default_transaction_isolation=read\\ committed';

/**
 * Planner costs for Custos's own sessions. Its reads are key lookups, often of 64 keys at once (runs,
 * idempotency keys, inventory references, the token issuer's rows), on a store whose working set is
 * in memory. PostgreSQL's default random_page_cost (4) prices an index probe as an uncached random
 * read, so for such a batch the planner hashes the whole table instead until it passes about 15,000
 * rows, and tables grow through that size in their first hours. 1.1 is what PostgreSQL's own
 * documentation suggests for cached data; measured with `npm run bench:runs` (1 worker, 128 runs in
 * flight), PostgreSQL's CPU per run fell from about 990 to 750 µs. An `options` parameter in the
 * store URL replaces these options, this one and ISOLATION (pg gives the URL precedence).
 */
const SESSION_OPTIONS = `-c random_page_cost=1.1 -c ${ISOLATION}`;

export async function openPostgresStore(url: string): Promise<Store> {
  const config = { connectionString: url, types, options: SESSION_OPTIONS };
  // Pipeline mode: a query is sent at once, not after the answer to the one before, so the ledger's
  // group commit sends its sequenced writes and its COMMIT in one round trip (commitSequenced), and
  // statements issued together go together. The server still runs them in order, each as it would
  // alone; pg refuses portal queries (cursors) on such a client, and Custos uses none.
  const client = new pg.Client({ ...config, pipeline: true });
  const pool = new pg.Pool({ ...config, max: 4 });
  // A terminated idle connection emits 'error'; without a listener Node would crash.
  client.on('error', () => undefined);
  pool.on('error', () => undefined);
  try {
    await client.connect();
  } catch (cause) {
    await pool.end().catch(() => undefined);
    throw new CustosError('STORE_UNAVAILABLE', `cannot connect to PostgreSQL at ${redactUrl(url)}`, {
      cause,
      retryable: true,
    });
  }
  return {
    dialect: 'postgres',
    read: new PostgresSql(pool),
    write: new PostgresWriteConnection(client),
    description: redactUrl(url),
    close: async () => {
      await client.end();
      await pool.end();
    },
  };
}
