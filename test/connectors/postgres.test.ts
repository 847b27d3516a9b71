// PostgreSQL-specific behaviour of the postgres connector, on a private server (SCRAM for TCP).
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { listScope } from '../../src/connectors/authority-check.js';
import type { AuthorisedStep } from '../../src/connectors/kit/kit-steps.js';
import { stepFor } from '../../src/connectors/kit/kit-steps.js';
import {
  classifyLogin,
  parseVerifier,
  scramVerifier,
  tryLogin,
} from '../../src/connectors/postgres/index.js';
import { isCustosError } from '../../src/core/errors.js';
import { assertNoSecrets } from '../../src/ledger/secrets.js';
import { startPgServer, type PgServer } from './postgres/pg-server.js';
import { makePgTarget, type PgTarget } from './postgres/pg-target.js';

let server: PgServer;
let t: PgTarget;
beforeAll(async () => {
  server = await startPgServer();
});
afterAll(() => server.stop());
afterEach(() => t.cleanup());

const apply = (s: AuthorisedStep) => t.connector.apply(s.step, s.authority);
const verify = (s: AuthorisedStep, secret?: string) => t.connector.verify(s.step, s.authority, secret);
const errorOf = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => e,
  );
const login = async (secret: string) => {
  const result = await tryLogin(t.direct, t.role, secret);
  const [row] = await server.superuser<{ v: string | null }>(
    'postgres',
    `SELECT CASE WHEN rolvaliduntil IS NULL THEN 'infinity' ELSE to_json(rolvaliduntil)#>>'{}' END AS v
       FROM pg_roles WHERE rolname = $1`,
    [t.role],
  );
  return { ...result, outcome: classifyLogin(result, row?.v ?? undefined, new Date()) };
};
async function created(params = {}): Promise<string> {
  t = await makePgTarget(server);
  const result = await apply(stepFor(t)('run-1', 'create', 'create', params));
  return result.secret!.value;
}

describe('postgres connector', () => {
  it('sends SCRAM verifiers, never the password, and PostgreSQL stores exactly that verifier', async () => {
    const first = await created();
    const rotated = (await apply(stepFor(t)('run-2', 'rotate', 'rotate'))).secret!.value;
    const sent = t.statements.join('\n');
    for (const secret of [first, rotated]) expect(sent).not.toContain(secret);
    const [row] = await server.superuser<{ rolpassword: string }>(
      'postgres',
      'SELECT rolpassword FROM pg_authid WHERE rolname = $1',
      [t.role],
    );
    expect(row!.rolpassword).toMatch(/^SCRAM-SHA-256\$4096:/);
    expect(sent).toContain(`PASSWORD '${row!.rolpassword}'`);
    const { salt } = parseVerifier(row!.rolpassword)!;
    expect(scramVerifier(rotated, salt)).toBe(row!.rolpassword);
  });

  it('computes the same verifier as PostgreSQL does from a plaintext password', async () => {
    t = await makePgTarget(server);
    await server.superuser(t.database, `CREATE ROLE ${t.role} LOGIN PASSWORD 'correct horse'`);
    const [row] = await server.superuser<{ rolpassword: string }>(
      'postgres',
      'SELECT rolpassword FROM pg_authid WHERE rolname = $1',
      [t.role],
    );
    expect(scramVerifier('correct horse', parseVerifier(row!.rolpassword)!.salt)).toBe(row!.rolpassword);
  });

  it('rotation ends a session opened before it; the old password then fails with 28P01', async () => {
    const old = await created();
    const client = new pg.Client({ ...t.direct, user: t.role, password: old });
    const errors: unknown[] = [];
    client.on('error', (e) => errors.push(e));
    await client.connect();
    const rotate = stepFor(t)('run-2', 'rotate', 'rotate');
    const fresh = (await apply(rotate)).secret!.value;
    await expect(client.query('SELECT 1')).rejects.toThrow();
    await client.end().catch(() => undefined);
    expect(await login(old)).toMatchObject({ ok: false, sqlstate: '28P01', outcome: 'wrong_password' });
    expect((await login(fresh)).outcome).toBe('ok');
    const result = await verify(rotate, fresh);
    expect(result.checks.map((c) => c.name)).toContain('sessions ended');
    expect(result.ok).toBe(true);
  });

  it('applies concurrent attempts of one (run, step) once', async () => {
    const old = await created();
    const rotate = stepFor(t)('run-2', 'rotate', 'rotate');
    const results = await Promise.all([apply(rotate), apply(rotate), apply(rotate)]);
    expect(results.map((r) => r.outcome).sort()).toEqual(['already_applied', 'already_applied', 'applied']);
    const fresh = results.find((r) => r.outcome === 'applied')!.secret!.value;
    expect((await login(fresh)).ok).toBe(true);
    expect((await login(old)).ok).toBe(false);
  });

  it('records no secrets: outputs and prior states pass the ledger guard', async () => {
    await created({ ttlSeconds: 3600 });
    const s = stepFor(t);
    for (const [run, action] of [
      ['r2', 'rotate'],
      ['r3', 'revoke'],
      ['r4', 'suspend'],
      ['r5', 'retire'],
    ] as const) {
      const step = s(run, action, action);
      assertNoSecrets(await t.connector.readPrior(step.step, step.authority));
      assertNoSecrets((await apply(step)).outputs);
    }
  });

  it('refuses a rotation overlap: PostgreSQL holds one password per role', async () => {
    const old = await created();
    const error = await errorOf(apply(stepFor(t)('run-2', 'rotate', 'rotate', { overlapSeconds: 60 })));
    expect(isCustosError(error, 'CONNECTOR_REFUSED') && !error.retryable).toBe(true);
    expect((await login(old)).ok).toBe(true);
  });

  it('tells NOLOGIN (28000) from an expired VALID UNTIL (28P01)', async () => {
    const secret = await created();
    const suspend = stepFor(t)('run-2', 'suspend', 'suspend');
    await apply(suspend);
    expect(await login(secret)).toMatchObject({ sqlstate: '28000', outcome: 'login_not_allowed' });
    expect((await verify(suspend)).ok).toBe(true);
    await apply(stepFor(t)('run-3', 'enable', 'enable'));
    const expire = stepFor(t)('run-4', 'expire', 'expire');
    await apply(expire);
    expect(await login(secret)).toMatchObject({ sqlstate: '28P01', outcome: 'expired' });
    expect((await verify(expire)).ok).toBe(true);
  });

  it('grants and revokes entitlements, read back with has_table_privilege', async () => {
    t = await makePgTarget(server);
    await server.superuser(t.database, 'CREATE TABLE public.orders (id int)');
    await apply(stepFor(t)('run-1', 'create', 'create'));
    const entitlements = ['usage on schema public', 'SELECT ON TABLE public.orders'];
    const has = async () =>
      (
        await server.superuser<{ ok: boolean }>(
          t.database,
          `SELECT has_table_privilege($1, 'public.orders', 'SELECT') AS ok`,
          [t.role],
        )
      )[0]!.ok;
    const grant = stepFor(t)('run-2', 'grant', 'grant', { entitlements });
    const prior = await t.connector.readPrior(grant.step, grant.authority);
    await apply(grant);
    expect(await has()).toBe(true);
    expect((await verify(grant)).ok).toBe(true);
    await t.connector.rollback(grant.step, grant.authority, prior);
    expect(await has()).toBe(false);
    await apply(stepFor(t)('run-3', 'grant', 'grant', { entitlements }));
    const revoke = stepFor(t)('run-4', 'revoke', 'revoke', { entitlements: [entitlements[1]!] });
    await apply(revoke);
    expect(await has()).toBe(false);
    expect((await verify(revoke)).ok).toBe(true);
  });

  it('refuses entitlements off the allow-list, names that try to escape, and the retired params.grants', async () => {
    t = await makePgTarget(server);
    const s = stepFor(t);
    for (const params of [
      { entitlements: [`SUPERUSER ON DATABASE ${t.database}`] },
      { entitlements: ['SELECT ON TABLE public.orders"; DROP ROLE postgres; --'] },
      { entitlements: ['SELECT; DROP ON TABLE public.orders'] },
      { entitlements: ['EXECUTE ON FUNCTION public.f'] },
      { entitlements: ['superuser'] },
      { grants: [{ privilege: 'SELECT', on: 'table', name: 'public.orders' }] },
    ]) {
      const error = await errorOf(apply(s('run-1', 'create', 'create', params)));
      expect(isCustosError(error, 'INPUT_INVALID')).toBe(true);
    }
    expect(await t.connector.list(t.system, t.authority(listScope(t.system)))).toEqual([]);
  });

  it('retire drops the role and its grants', async () => {
    t = await makePgTarget(server);
    await server.superuser(t.database, 'CREATE TABLE public.orders (id int)');
    const entitlements = ['SELECT ON TABLE public.orders'];
    const secret = (await apply(stepFor(t)('run-1', 'create', 'create', { entitlements }))).secret!.value;
    const retire = stepFor(t)('run-2', 'retire', 'retire');
    await apply(retire);
    expect((await verify(retire)).ok).toBe(true);
    expect(await server.superuser(t.database, 'SELECT 1 FROM pg_roles WHERE rolname = $1', [t.role])).toEqual(
      [],
    );
    const [acl] = await server.superuser<{ acl: string | null }>(
      t.database,
      `SELECT relacl::text AS acl FROM pg_class WHERE oid = 'public.orders'::regclass`,
    );
    expect(acl?.acl ?? '').not.toContain(t.role);
    expect((await login(secret)).ok).toBe(false);
  });

  it('changes only roles it manages for this identity', async () => {
    t = await makePgTarget(server);
    const s = stepFor({ ...t, identity: { ...t.identity, externalId: 'custos_admin' } });
    const error = await errorOf(
      t.connector.apply(s('run-1', 'suspend', 'suspend').step, s('run-1', 'suspend', 'suspend').authority),
    );
    expect(isCustosError(error, 'TARGET_STATE_MISMATCH')).toBe(true);
    const bad = stepFor({ ...t, identity: { ...t.identity, externalId: 'Robert"; DROP' } });
    const { step, authority } = bad('run-1', 'create', 'create');
    expect(isCustosError(await errorOf(t.connector.apply(step, authority)), 'CONNECTOR_REFUSED')).toBe(true);
  });

  it('a target that is down, or refuses the admin login, gives a retryable CONNECTOR_UNAVAILABLE', async () => {
    t = await makePgTarget(server);
    const create = stepFor(t)('run-1', 'create', 'create');
    await t.makeUnavailable!();
    const down = await errorOf(apply(create));
    expect(isCustosError(down, 'CONNECTOR_UNAVAILABLE') && down.retryable).toBe(true);
    const wrong = { ...t.system, id: `${t.system.id}-b`, connection: { ...t.direct, user: t.role } };
    const s = stepFor({ ...t, system: wrong })('run-1', 'create', 'create');
    const refused = await errorOf(t.connector.apply(s.step, s.authority));
    expect(isCustosError(refused, 'CONNECTOR_UNAVAILABLE') && refused.retryable).toBe(true);
    expect((refused as Error).message).not.toContain(server.adminPassword);
  });
});
