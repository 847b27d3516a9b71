/**
 * The admin connection to one target server: its settings (the password by reference only), one
 * small mysql2 pool per system, and sessions on one pooled connection that report every statement
 * text to an optional logger (statements carry password hashes, never passwords).
 *
 * Account statements commit implicitly on MariaDB: there is no transaction to wrap a step in.
 * Changes to one account are serialised instead by a named lock (GET_LOCK) held for the whole
 * step, so that two attempts of a step, or two steps on one account, never interleave.
 */
import crypto from 'node:crypto';
import mysql from 'mysql2/promise';
import { z } from 'zod';
import { CustosError } from '../../core/errors.js';
import type { TargetSystem } from '../contract.js';
import { toConnectorError } from './mdb-errors.js';
import { isHost, type Account } from './mdb-sql.js';

const connectionSchema = z.object({
  host: z.string().min(1),
  port: z.number().int().min(1).max(65535).default(3306),
  user: z.string().min(1),
  /** A reference such as `env:MARIADB_ADMIN_PASSWORD`, resolved by the injected resolver. */
  password: z.string().min(1),
  /** The host part of managed accounts whose externalId names none (default `%`). */
  accountHost: z.string().min(1).default('%'),
  sslmode: z.enum(['disable', 'require', 'verify-full']).default('disable'),
});

export type MariadbConnection = z.infer<typeof connectionSchema>;

export function parseConnection(system: TargetSystem): MariadbConnection {
  const parsed = connectionSchema.safeParse(system.connection);
  if (!parsed.success || !isHost(parsed.data.accountHost)) {
    throw new CustosError('CONFIG_INVALID', `system ${system.id}: invalid MariaDB connection settings`, {
      details: { system: system.id },
    });
  }
  return parsed.data;
}

/** mysql2's TLS option for a sslmode (`require` encrypts without checking the certificate). */
export function sslOf(settings: MariadbConnection): mysql.SslOptions | undefined {
  if (settings.sslmode === 'disable') return undefined;
  return { rejectUnauthorized: settings.sslmode === 'verify-full' };
}

export type StatementLogger = (sql: string) => void;
export type SqlValue = string | number | null;

export interface Sql {
  /** A statement built by the connector from validated, quoted parts (account DDL, GRANT, KILL). */
  run(text: string): Promise<void>;
  /** A parameterised query, prepared on the server (binary protocol: no client-side escaping). */
  rows<R>(text: string, values?: readonly SqlValue[]): Promise<R[]>;
  /** Closes the connection at the end of the session instead of returning it to the pool. */
  discard(): void;
}

/** How long an attempt waits for another one holding the account's lock. */
const LOCK_SECONDS = 30;

export class AdminPool {
  private readonly pool: mysql.Pool;

  constructor(
    readonly settings: MariadbConnection,
    password: string,
    private readonly log: StatementLogger = () => undefined,
  ) {
    const ssl = sslOf(settings);
    this.pool = mysql.createPool({
      host: settings.host,
      port: settings.port,
      user: settings.user,
      password,
      ...(ssl === undefined ? {} : { ssl }),
      connectionLimit: 4,
      maxIdle: 2,
      idleTimeout: 10_000,
      connectTimeout: 5000,
      charset: 'utf8mb4',
      multipleStatements: false,
    });
    // A connection the server ends while idle emits 'error': without a listener, Node crashes.
    this.pool.pool.on('connection', (c) => c.on('error', () => undefined));
  }

  /** Runs `body` on one pooled connection; every failure becomes a coded error. */
  async session<T>(what: string, body: (sql: Sql) => Promise<T>): Promise<T> {
    let conn: mysql.PoolConnection;
    try {
      conn = await this.pool.getConnection();
    } catch (error) {
      throw toConnectorError(error, what);
    }
    let broken = false;
    const sql: Sql = {
      discard: () => (broken = true),
      run: async (text) => {
        this.log(text);
        await conn.query(text);
      },
      rows: async <R>(text: string, values: readonly SqlValue[] = []) => {
        this.log(text);
        const [rows] = await conn.execute(text, [...values]);
        return rows as R[];
      },
    };
    try {
      return await body(sql);
    } catch (error) {
      if ((error as { fatal?: unknown }).fatal === true) broken = true;
      throw toConnectorError(error, what);
    } finally {
      if (broken) conn.destroy();
      else conn.release();
    }
  }

  /** A session holding the account's named lock (released with the session, even on a crash). */
  withLock<T>(account: Account, what: string, body: (sql: Sql) => Promise<T>): Promise<T> {
    return this.session(what, async (sql) => {
      const name = lockName(account);
      const [row] = await sql.rows<{ got: number | null }>('SELECT GET_LOCK(?, ?) AS got', [
        name,
        LOCK_SECONDS,
      ]);
      if (row?.got !== 1) {
        throw new CustosError('CONNECTOR_UNAVAILABLE', `another change to this account is in progress`, {
          retryable: true,
        });
      }
      try {
        return await body(sql);
      } finally {
        // If this fails, the connection is closed: the server drops its locks with it.
        await sql.rows('SELECT RELEASE_LOCK(?)', [name]).catch(() => sql.discard());
      }
    });
  }

  end(): Promise<void> {
    return this.pool.end();
  }
}

/** Lock names are at most 64 characters: a digest of the account. */
function lockName(account: Account): string {
  const digest = crypto.createHash('sha256').update(JSON.stringify([account.user, account.host]));
  return `custos:${digest.digest('hex').slice(0, 40)}`;
}
