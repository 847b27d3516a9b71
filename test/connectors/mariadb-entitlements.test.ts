// Entitlements and account hosts on a real MariaDB: what GRANT/REVOKE reach, and what is refused.
import mysql from 'mysql2/promise';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { listScope } from '../../src/connectors/authority-check.js';
import { stepFor, type AuthorisedStep } from '../../src/connectors/kit/kit-steps.js';
import { mariadbOrSkip, startMariadb, type MariadbServer } from './mariadb/mariadb-server.js';
import { makeMariadbTarget, type MariadbTarget } from './mariadb/mariadb-target.js';

const present = mariadbOrSkip();
let server: MariadbServer;
let t: MariadbTarget;
beforeAll(async () => {
  if (present) server = await startMariadb();
});
afterAll(() => server?.stop());
afterEach(() => t?.cleanup());

const apply = (s: AuthorisedStep) => t.connector.apply(s.step, s.authority);
const verify = (s: AuthorisedStep) => t.connector.verify(s.step, s.authority);
const errorOf = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => e,
  );
const session = (password: string) => t.connect(password);
/** The errno of a query as the account, or 0 when it succeeds. */
async function errnoOf(conn: mysql.Connection, sql: string): Promise<number> {
  return conn.query(sql).then(
    () => 0,
    (e: unknown) => (e as { errno?: number }).errno ?? -1,
  );
}
async function withTables(): Promise<void> {
  t = await makeMariadbTarget(server);
  await server.sql(`CREATE TABLE ${t.database}.orders (id int)`);
  await server.sql(`CREATE TABLE ${t.database}.payroll (id int)`);
}

describe.skipIf(!present)('mariadb entitlements', () => {
  it('grants on a database and a table, read back and used by a real session; revokes one', async () => {
    await withTables();
    const entitlements = [`SELECT ON ${t.database}.orders`, `INSERT, UPDATE ON ${t.database}.*`];
    const create = stepFor(t)('run-1', 'create', 'create', { entitlements });
    const secret = (await apply(create)).secret!.value;
    expect((await verify(create)).ok).toBe(true);
    const conn = await session(secret);
    expect(await errnoOf(conn, `SELECT * FROM ${t.database}.orders`)).toBe(0);
    expect(await errnoOf(conn, `SELECT * FROM ${t.database}.payroll`)).toBe(1142);
    expect(await errnoOf(conn, `INSERT INTO ${t.database}.payroll VALUES (1)`)).toBe(0);
    await conn.end();
    const revoke = stepFor(t)('run-2', 'revoke', 'revoke', { entitlements: [`UPDATE ON ${t.database}.*`] });
    await apply(revoke);
    expect((await verify(revoke)).ok).toBe(true);
    const [grants] = await server
      .sql<Record<string, string>>(`SHOW GRANTS FOR '${t.user}'@'%'`)
      .then((rows) => [rows.map((r) => Object.values(r)[0]).join('\n')]);
    expect(grants).toContain(`GRANT INSERT ON \`${t.database.replace('_', '\\_')}\`.*`);
    expect(grants).not.toContain('UPDATE');
    expect(grants).toContain(`GRANT SELECT ON \`${t.database}\`.\`orders\``);
  });

  it('escapes _ in a database grant: it never becomes a wildcard over other databases', async () => {
    await withTables();
    const decoy = t.database.replace('_', 'X'); // what `kit_…` would match as a pattern
    await server.sql(`CREATE DATABASE ${decoy}`);
    await server.sql(`CREATE TABLE ${decoy}.secrets (id int)`);
    try {
      const create = stepFor(t)('run-1', 'create', 'create', { entitlements: [`SELECT ON ${t.database}.*`] });
      const conn = await session((await apply(create)).secret!.value);
      expect(await errnoOf(conn, `SELECT * FROM ${t.database}.orders`)).toBe(0);
      expect(await errnoOf(conn, `SELECT * FROM ${decoy}.secrets`)).toBe(1142);
      await conn.end();
    } finally {
      await server.sql(`DROP DATABASE ${decoy}`);
    }
  });

  it('a revoked database privilege ends the sessions that would otherwise keep it', async () => {
    await withTables();
    const entitlements = [`SELECT ON ${t.database}.*`];
    const secret = (await apply(stepFor(t)('run-1', 'create', 'create', { entitlements }))).secret!.value;
    const before = await session(secret);
    await before.query(`USE ${t.database}`);
    await apply(stepFor(t)('run-2', 'revoke', 'revoke', { entitlements }));
    expect(await errnoOf(before, 'SELECT * FROM orders')).not.toBe(0);
    await before.end().catch(() => undefined);
    const after = await session(secret);
    expect(await errnoOf(after, `SELECT * FROM ${t.database}.orders`)).toBe(1142);
    await after.end();
  });

  it('refuses entitlements off the grammar with INPUT_INVALID, before any account statement', async () => {
    await withTables();
    for (const entitlement of [
      'SELECT ON *.*',
      'SELECT ON mysql.global_priv',
      'SELECT ON custos.*',
      `GRANT OPTION ON ${t.database}.*`,
      `SUPER ON ${t.database}.*`,
      `SELECT ON ${t.database}.orders TO 'x'@'%'`,
      `SELECT ON kit%.*`,
      `SELECT ON ${t.database}.*; DROP USER 'harness'@'127.0.0.1'`,
    ]) {
      const error = await errorOf(
        apply(stepFor(t)('run-1', 'create', 'create', { entitlements: [entitlement] })),
      );
      expect(error, entitlement).toMatchObject({ code: 'INPUT_INVALID', retryable: false });
    }
    const missing = { entitlements: [`SELECT ON ${t.database}.nosuch`] };
    expect(await errorOf(apply(stepFor(t)('run-1', 'create', 'create', missing)))).toMatchObject({
      code: 'INPUT_INVALID',
    });
    expect(t.statements.filter((s) => /^(CREATE USER|GRANT|ALTER USER)/.test(s))).toEqual([]);
    expect(await t.connector.list(t.system, t.authority(listScope(t.system)))).toEqual([]);
    expect(await server.sql('SELECT 1 FROM mysql.global_priv WHERE User = ?', [t.user])).toEqual([]);
  });

  it('manages an account on a named host, given as user@host', async () => {
    t = await makeMariadbTarget(server);
    const externalId = `${t.user}@127.0.0.1`;
    const s = stepFor({ ...t, identity: { ...t.identity, externalId } });
    try {
      const secret = (await apply(s('run-1', 'create', 'create'))).secret!.value;
      expect(await server.sql('SELECT Host FROM mysql.global_priv WHERE User = ?', [t.user])).toEqual([
        { Host: '127.0.0.1' },
      ]);
      await (await session(secret)).end();
      const listed = await t.connector.list(t.system, t.authority(listScope(t.system)));
      expect(listed.map((a) => a.externalId)).toEqual([externalId]);
      const contradiction = s('run-2', 'suspend', 'suspend', { host: '%' });
      expect(await errorOf(apply(contradiction))).toMatchObject({ code: 'INPUT_INVALID' });
      // The same user name at another host is refused: sessions are matched by user name.
      const other = await errorOf(apply(stepFor(t)('run-3', 'create', 'create')));
      expect(other).toMatchObject({ code: 'TARGET_STATE_MISMATCH' });
    } finally {
      await server.sql(`DROP USER IF EXISTS '${t.user}'@'127.0.0.1'`);
    }
  });
});
