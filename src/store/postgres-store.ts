/**
 * PostgreSQL through `pg`. Many processes may share one database: each process has one write
 * connection (its group-committed transactions) and a small pool for reads; ledger sequencing
 * across processes is serialised by a transaction-scoped advisory lock.
 */
import pg from 'pg';
import { CustosError } from '../core/errors.js';
import { redactUrl } from '../config/config.js';
import type { Row, Sql, SqlParam, Store, WriteConnection } from './sql.js';

const LEDGER_LOCK_KEY = 7253912;
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
  private readonly texts = new Map<string, string>();

  constructor(protected readonly db: Queryable) {}

  protected text(sql: string): string {
    let text = this.texts.get(sql);
    if (text === undefined) {
      text = numberPlaceholders(sql);
      this.texts.set(sql, text);
    }
    return text;
  }

  async query<T extends Row = Row>(sql: string, params: readonly SqlParam[] = []): Promise<T[]> {
    const result = await this.db.query(this.text(sql), params as unknown[]);
    return result.rows as T[];
  }

  async run(sql: string, params: readonly SqlParam[] = []): Promise<number> {
    const result = await this.db.query(this.text(sql), params as unknown[]);
    return result.rowCount ?? 0;
  }
}

class PostgresWriteConnection extends PostgresSql implements WriteConnection {
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
  async lockLedger(): Promise<void> {
    await this.client.query('SELECT pg_advisory_xact_lock($1)', [LEDGER_LOCK_KEY]);
  }
  async insertMany(
    table: string,
    columns: readonly string[],
    rows: readonly (readonly SqlParam[])[],
  ): Promise<void> {
    const perStatement = Math.max(1, Math.floor(MAX_PARAMS / columns.length));
    for (let start = 0; start < rows.length; start += perStatement) {
      const chunk = rows.slice(start, start + perStatement);
      const values: unknown[] = [];
      const tuples = chunk.map((row) => {
        const refs = row.map((v) => {
          values.push(v);
          return `$${values.length}`;
        });
        return `(${refs.join(',')})`;
      });
      await this.client.query(
        `INSERT INTO ${table} (${columns.join(',')}) VALUES ${tuples.join(',')}`,
        values,
      );
    }
  }
}

export async function openPostgresStore(url: string): Promise<Store> {
  const client = new pg.Client({ connectionString: url, types });
  const pool = new pg.Pool({ connectionString: url, types, max: 4 });
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
