/**
 * Entitlements (`params.entitlements`, as requesters and the inventory write them) granted,
 * verified, revoked and rolled back by the postgres connector on a real server, read back with
 * the server's own has_*_privilege and pg_auth_members; and the group roles it refuses to join.
 */
import crypto from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { AuthorisedStep } from '../../src/connectors/kit/kit-steps.js';
import { stepFor } from '../../src/connectors/kit/kit-steps.js';
import { isCustosError } from '../../src/core/errors.js';
import { startPgServer, type PgServer } from './postgres/pg-server.js';
import { makePgTarget, type PgTarget } from './postgres/pg-target.js';

let server: PgServer;
let t: PgTarget;
let groups: string[] = [];
beforeAll(async () => {
  server = await startPgServer();
});
afterAll(() => server.stop());
afterEach(async () => {
  for (const g of groups) await server.superuser('postgres', `DROP ROLE IF EXISTS ${g}`);
  groups = [];
  await t.cleanup();
});

const sql = <T extends Record<string, unknown>>(text: string, values?: unknown[]) =>
  server.superuser<T>(t.database, text, values);
const apply = (s: AuthorisedStep) => t.connector.apply(s.step, s.authority);
const verify = (s: AuthorisedStep) => t.connector.verify(s.step, s.authority);
const readPrior = (s: AuthorisedStep) => t.connector.readPrior(s.step, s.authority);
/** Applies the step, as the engine does (prior state first); returns its rollback. */
async function applied(s: AuthorisedStep) {
  const prior = await readPrior(s);
  const result = await apply(s);
  return { result, rollback: () => t.connector.rollback(s.step, s.authority, prior) };
}
const errorOf = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => e,
  );

/** A group role private to this test (roles are cluster-wide). */
async function group(suffix: string, options = 'NOLOGIN'): Promise<string> {
  const name = `g_${crypto.randomBytes(3).toString('hex')}_${suffix}`;
  await server.superuser('postgres', `CREATE ROLE ${name} ${options}`);
  groups.push(name);
  return name;
}

/** What the server itself says the role holds. */
async function held(role: string) {
  const [row] = await sql<{ table: boolean; schema: boolean; database: boolean; all: boolean; of: string[] }>(
    `SELECT has_table_privilege($1, 'public.orders', 'SELECT') AS table,
            has_schema_privilege($1, 'reporting', 'USAGE') AS schema,
            has_database_privilege($1, current_database(), 'CONNECT') AS database,
            (SELECT bool_and(has_table_privilege($1, c.oid, 'SELECT')) FROM pg_class c
              WHERE c.relnamespace = 'reporting'::regnamespace AND c.relkind = 'r') AS all,
            coalesce((SELECT array_agg(g.rolname::text ORDER BY g.rolname) FROM pg_auth_members m
                        JOIN pg_roles g ON g.oid = m.roleid JOIN pg_roles r ON r.oid = m.member
                       WHERE r.rolname = $1), '{}') AS of`,
    [role],
  );
  return row!;
}

/** A fresh database with tables to grant on; the role is created unless told otherwise. */
async function target(create = true): Promise<string | undefined> {
  t = await makePgTarget(server);
  await sql('CREATE TABLE public.orders (id int)');
  await sql('CREATE SCHEMA reporting; CREATE TABLE reporting.a (id int); CREATE TABLE reporting.b (id int)');
  // PUBLIC may connect to a new database by default: take that away, so CONNECT means something.
  await sql(`REVOKE CONNECT ON DATABASE ${t.database} FROM PUBLIC`);
  return create ? (await apply(stepFor(t)('run-1', 'create', 'create'))).secret!.value : undefined;
}

describe('postgres connector: entitlements', () => {
  it('grants, verifies, rolls back and revokes every kind of entitlement on the real target', async () => {
    const secret = (await target())!;
    const readers = await group('readers');
    const entitlements = [
      'SELECT ON TABLE public.orders',
      'USAGE ON SCHEMA reporting',
      `CONNECT ON DATABASE ${t.database}`,
      'SELECT ON ALL TABLES IN SCHEMA reporting',
      'pg_monitor',
      readers,
    ];
    const none = { table: false, schema: false, database: false, all: false, of: [] };
    const all = { table: true, schema: true, database: true, all: true, of: [readers, 'pg_monitor'] };
    const s = stepFor(t);
    const grant = s('run-2', 'grant', 'grant', { entitlements });
    expect((await t.connector.plan(grant.step, grant.authority)).effects).toEqual([
      `GRANT SELECT ON TABLE "public"."orders" TO "${t.role}"`,
      `GRANT USAGE ON SCHEMA "reporting" TO "${t.role}"`,
      `GRANT CONNECT ON DATABASE "${t.database}" TO "${t.role}"`,
      `GRANT SELECT ON ALL TABLES IN SCHEMA "reporting" TO "${t.role}"`,
      `GRANT "pg_monitor" TO "${t.role}"`,
      `GRANT "${readers}" TO "${t.role}"`,
    ]);
    const prior = await readPrior(grant);
    expect(prior['grants']).toHaveLength(6);
    expect(prior['grants']).toContainEqual({ privilege: 'MEMBER', on: 'role', name: readers, held: false });
    const result = await apply(grant);
    expect(result.outputs['granted']).toContain(`member of role ${readers}`);
    expect(await held(t.role)).toEqual(all);
    const verified = await verify(grant);
    expect(verified.ok).toBe(true);
    expect(verified.checks.filter((c) => c.name.startsWith('privilege '))).toHaveLength(6);

    await t.connector.rollback(grant.step, grant.authority, prior);
    expect(await held(t.role)).toEqual(none);
    const restored = await verify(grant);
    expect(restored.ok).toBe(true);
    expect(restored.checks.filter((c) => c.name.endsWith(' restored') && c.ok)).toHaveLength(6 + 3);
    expect(await t.login(secret)).toBe(false); // CONNECT was taken away again with the rollback

    await apply(s('run-3', 'grant', 'grant', { entitlements }));
    expect(await held(t.role)).toEqual(all);
    expect(await t.login(secret)).toBe(true);
    const revoke = s('run-4', 'revoke', 'revoke', { entitlements });
    await apply(revoke);
    expect(await held(t.role)).toEqual(none);
    expect((await verify(revoke)).ok).toBe(true);
    // Revoking entitlements leaves the credential alone.
    const [{ pw } = { pw: false }] = await sql<{ pw: boolean }>(
      'SELECT rolpassword IS NOT NULL AS pw FROM pg_authid WHERE rolname = $1',
      [t.role],
    );
    expect(pw).toBe(true);
  });

  it('a rollback restores only what the step changed: an entitlement held before stays held', async () => {
    await target();
    await sql(`GRANT SELECT ON public.orders TO ${t.role}`);
    const grant = stepFor(t)('run-2', 'grant', 'grant', {
      entitlements: ['SELECT ON TABLE public.orders', 'USAGE ON SCHEMA reporting'],
    });
    await (await applied(grant)).rollback();
    expect(await held(t.role)).toMatchObject({ table: true, schema: false });
    expect((await verify(grant)).ok).toBe(true);
  });

  it('a verify after rollback notices a role changed since: restored state is compared with the prior', async () => {
    await target();
    const grant = stepFor(t)('run-2', 'grant', 'grant', { entitlements: ['USAGE ON SCHEMA reporting'] });
    await (await applied(grant)).rollback();
    expect((await verify(grant)).ok).toBe(true);
    await sql(`GRANT USAGE ON SCHEMA reporting TO ${t.role}`);
    await sql(`ALTER ROLE ${t.role} NOLOGIN`);
    const after = await verify(grant);
    expect(after.ok).toBe(false);
    const failed = after.checks.filter((c) => !c.ok).map((c) => c.name);
    expect(failed).toEqual(['rolcanlogin restored', 'USAGE on schema reporting restored']);
  });

  it('refuses to join a role that reaches beyond plain privileges, and changes nothing', async () => {
    await target();
    const login = await group('login', 'LOGIN');
    const superuser = await group('super', 'SUPERUSER NOLOGIN');
    const files = await group('files');
    await server.superuser('postgres', `GRANT pg_read_server_files TO ${files}`);
    const nested = await group('nested');
    await server.superuser('postgres', `GRANT ${login} TO ${nested}`);
    const managed = await group('managed');
    await server.superuser(
      'postgres',
      `COMMENT ON ROLE ${managed} IS 'custos:{"system":"x","identity":"y"}'`,
    );
    const cases = [
      [login, `${login} has LOGIN`],
      [superuser, `${superuser} has SUPERUSER`],
      [files, `${files} belongs to pg_read_server_files, which is a predefined role the connector does not`],
      [nested, `${nested} belongs to ${login}, which has LOGIN`],
      [managed, `${managed} is an identity Custos manages`],
      ['g_no_such_role', 'role g_no_such_role does not exist'],
    ];
    for (const [i, [role, why]] of cases.entries()) {
      const grant = stepFor(t)(`run-g${i}`, 'grant', 'grant', { entitlements: ['pg_monitor', role!] });
      const error = await errorOf(apply(grant));
      expect(isCustosError(error, 'CONNECTOR_REFUSED') && !error.retryable, role).toBe(true);
      expect((error as Error).message).toContain(why);
      expect((await verify(grant)).checks).toEqual([expect.objectContaining({ name: 'applied', ok: false })]);
    }
    expect((await held(t.role)).of).toEqual([]);
  });

  it('a create with entitlements, rolled back, leaves no role; verify confirms the prior absence', async () => {
    await target(false);
    const create = stepFor(t)('run-1', 'create', 'create', {
      entitlements: ['SELECT ON TABLE public.orders', 'pg_read_all_data'],
    });
    const { result, rollback } = await applied(create);
    expect(await held(t.role)).toMatchObject({ table: true, of: ['pg_read_all_data'] });
    await rollback();
    expect(await sql('SELECT 1 FROM pg_roles WHERE rolname = $1', [t.role])).toEqual([]);
    const after = await t.connector.verify(create.step, create.authority, result.secret!.value);
    expect(after.checks.map((c) => [c.name, c.ok])).toEqual([
      ['rolled back', true],
      ['role absent as before', true],
      ['real login with the issued password', true],
    ]);
  });

  it('an empty list of entitlements is refused, never taken as revoking the password', async () => {
    const secret = (await target())!;
    const revoke = stepFor(t)('run-2', 'revoke', 'revoke', { entitlements: [] });
    expect(isCustosError(await errorOf(apply(revoke)), 'INPUT_INVALID')).toBe(true);
    expect(
      isCustosError(await errorOf(t.connector.plan(revoke.step, revoke.authority)), 'INPUT_INVALID'),
    ).toBe(true);
    const grant = stepFor(t)('run-3', 'grant', 'grant', { entitlements: [] });
    expect(isCustosError(await errorOf(apply(grant)), 'INPUT_INVALID')).toBe(true);
    await sql(`GRANT CONNECT ON DATABASE ${t.database} TO ${t.role}`);
    expect(await t.login(secret)).toBe(true);
  });
});
