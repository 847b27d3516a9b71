import pg from 'pg';
import { describe, expect, inject, it } from 'vitest';
import { createDatabase, dropDatabase } from './postgres.js';

const pgUrl = inject('pgUrl');

async function query<R extends pg.QueryResultRow>(url: string, sql: string): Promise<R[]> {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return (await client.query<R>(sql)).rows;
  } finally {
    await client.end();
  }
}

describe.skipIf(pgUrl === null)('private PostgreSQL harness', () => {
  const url = pgUrl ?? '';

  it('serves the custos database on loopback with fsync on', async () => {
    const rows = await query<{ one: number; db: string; fsync: string; addr: string }>(
      url,
      "select 1 as one, current_database() as db, current_setting('fsync') as fsync, " +
        'inet_server_addr()::text as addr',
    );
    expect(rows).toEqual([{ one: 1, db: 'custos', fsync: 'on', addr: '127.0.0.1/32' }]);
  });

  it('creates an isolated database with createDatabase and drops it', async () => {
    const name = `harness_${process.pid}_${Date.now()}`;
    const dbUrl = await createDatabase(url, name);
    try {
      expect(new URL(dbUrl).pathname).toBe(`/${name}`);
      const rows = await query<{ db: string }>(dbUrl, 'select current_database() as db');
      expect(rows).toEqual([{ db: name }]);
    } finally {
      await dropDatabase(url, name);
    }
    const left = await query<{ n: string }>(
      url,
      `select count(*) as n from pg_database where datname = '${name}'`,
    );
    expect(left).toEqual([{ n: '0' }]);
  });
});
