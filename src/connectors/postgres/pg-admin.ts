/**
 * The admin connection to one target server: its settings (secret by reference only), a small
 * pool with an 'error' listener on the pool and on every client (a terminated idle client emits
 * 'error', which would otherwise crash the process), and a transaction helper that reports every
 * statement text to an optional logger (statements carry SCRAM verifiers, never passwords).
 */
import pg from 'pg';
import { z } from 'zod';
import { CustosError } from '../../core/errors.js';
import type { TargetSystem } from '../contract.js';
import { toConnectorError } from './pg-errors.js';

const connectionSchema = z.object({
  host: z.string().min(1),
  port: z.number().int().min(1).max(65535).default(5432),
  database: z.string().min(1),
  user: z.string().min(1),
  /** A reference such as `env:PG_ADMIN_PASSWORD`, resolved by the injected resolver. */
  password: z.string().min(1),
  sslmode: z.enum(['disable', 'require', 'verify-full']).default('disable'),
});

export type PgConnection = z.infer<typeof connectionSchema>;

export function parseConnection(system: TargetSystem): PgConnection {
  const parsed = connectionSchema.safeParse(system.connection);
  if (!parsed.success) {
    throw new CustosError('CONFIG_INVALID', `system ${system.id}: invalid PostgreSQL connection settings`, {
      details: { system: system.id },
    });
  }
  return parsed.data;
}

export type StatementLogger = (sql: string) => void;

export interface Sql {
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values?: unknown[]): Promise<R[]>;
}

export class AdminPool {
  private readonly pool: pg.Pool;

  constructor(
    readonly settings: PgConnection,
    password: string,
    private readonly log: StatementLogger = () => undefined,
  ) {
    const ssl =
      settings.sslmode === 'disable' ? false : { rejectUnauthorized: settings.sslmode === 'verify-full' };
    this.pool = new pg.Pool({
      host: settings.host,
      port: settings.port,
      database: settings.database,
      user: settings.user,
      password,
      ssl,
      max: 4,
      connectionTimeoutMillis: 5000,
      idleTimeoutMillis: 10_000,
    });
    this.pool.on('error', () => undefined);
    this.pool.on('connect', (client) => client.on('error', () => undefined));
  }

  /** Runs `body` in one transaction; every failure becomes a coded, retryable-or-not error. */
  async transaction<T>(what: string, body: (sql: Sql) => Promise<T>): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (error) {
      throw toConnectorError(error, what);
    }
    const sql: Sql = {
      query: async <R extends pg.QueryResultRow>(text: string, values?: unknown[]) => {
        this.log(text);
        return (await client.query<R>(text, values)).rows;
      },
    };
    let broken = false;
    try {
      await client.query('BEGIN');
      const result = await body(sql);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => (broken = true));
      throw toConnectorError(error, what);
    } finally {
      client.release(broken);
    }
  }

  end(): Promise<void> {
    return this.pool.end();
  }
}
