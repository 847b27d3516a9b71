/**
 * A private PostgreSQL for connector tests (one per test file): the harness server, switched from
 * trust to SCRAM authentication for TCP logins (so that real logins prove something), with a
 * superuser `custos_admin` whose password the connector resolves through `env:PG_ADMIN`.
 */
import crypto from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import { scramVerifier } from '../../../src/connectors/postgres/index.js';
import { tryLogin } from '../../../src/connectors/postgres/index.js';
import { startPostgres, type PgHandle } from '../../harness/postgres.js';

export interface PgServer {
  readonly handle: PgHandle;
  readonly port: number;
  readonly adminPassword: string;
  /** Runs `sql` as the trusted `postgres` superuser in `database`. */
  superuser<T extends pg.QueryResultRow>(database: string, sql: string, values?: unknown[]): Promise<T[]>;
  stop(): Promise<void>;
}

const HBA = [
  'local all all trust',
  'host all postgres 127.0.0.1/32 trust', // the harness's own connections
  'host all all 127.0.0.1/32 scram-sha-256',
  '',
].join('\n');

export async function startPgServer(): Promise<PgServer> {
  const handle = await startPostgres();
  await writeFile(join(handle.dir, 'data', 'pg_hba.conf'), HBA);
  const adminPassword = crypto.randomBytes(24).toString('base64url');
  const superuser = async <T extends pg.QueryResultRow>(
    database: string,
    sql: string,
    values?: unknown[],
  ) => {
    const client = new pg.Client({ host: '127.0.0.1', port: handle.port, user: 'postgres', database });
    client.on('error', () => undefined);
    await client.connect();
    try {
      return (await client.query<T>(sql, values)).rows;
    } finally {
      await client.end();
    }
  };
  await superuser(
    'postgres',
    `CREATE ROLE custos_admin SUPERUSER LOGIN PASSWORD '${scramVerifier(adminPassword)}'`,
  );
  await superuser('postgres', 'SELECT pg_reload_conf()');
  const settings = {
    host: '127.0.0.1',
    port: handle.port,
    database: 'postgres',
    user: 'x',
    password: 'x',
    sslmode: 'disable',
  } as const;
  // The reload is asynchronous: wait until a wrong password is refused.
  for (let i = 0; (await tryLogin(settings, 'custos_admin', 'wrong')).ok; i++) {
    if (i > 100) throw new Error('pg_hba.conf reload did not take effect');
    await new Promise((r) => setTimeout(r, 20));
  }
  return { handle, port: handle.port, adminPassword, superuser, stop: () => handle.stop() };
}
