// MariaDB-specific behaviour of the mariadb connector on a private server (with a general query
// log, to see what the server itself received): sessions, hashes, crashes, errors.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { listScope } from '../../src/connectors/authority-check.js';
import { stepFor, type AuthorisedStep } from '../../src/connectors/kit/kit-steps.js';
import { MariadbConnector, classifyLogin, nativeHash, tryLogin } from '../../src/connectors/mariadb/index.js';
import { isCustosError } from '../../src/core/errors.js';
import { assertNoSecrets } from '../../src/ledger/secrets.js';
import { mariadbOrSkip, startMariadb, type MariadbServer } from './mariadb/mariadb-server.js';
import { makeMariadbTarget, type MariadbTarget } from './mariadb/mariadb-target.js';

const present = mariadbOrSkip();
let server: MariadbServer;
let t: MariadbTarget;
beforeAll(async () => {
  if (present) server = await startMariadb({ generalLog: true });
});
afterAll(() => server?.stop());
afterEach(() => t?.cleanup());

const apply = (s: AuthorisedStep, c: MariadbConnector = t.connector) => c.apply(s.step, s.authority);
const errorOf = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => e,
  );
const login = async (secret: string) => classifyLogin(await tryLogin(t.direct, t.user, secret));
const storedHash = async () =>
  (
    await server.sql<{ h: string | null }>(
      `SELECT JSON_VALUE(Priv, '$.authentication_string') AS h FROM mysql.global_priv WHERE User = ?`,
      [t.user],
    )
  )[0]?.h;
const session = (secret: string) => t.connect(secret);
async function created(params = {}): Promise<string> {
  t = await makeMariadbTarget(server);
  return (await apply(stepFor(t)('run-1', 'create', 'create', params))).secret!.value;
}

describe.skipIf(!present)('mariadb connector', () => {
  it('sends mysql_native_password hashes; the plaintext never reaches the server or its general log', async () => {
    const first = await created();
    const rotated = (await apply(stepFor(t)('run-2', 'rotate', 'rotate'))).secret!.value;
    expect(await login(rotated)).toBe('ok');
    const sent = t.statements.join('\n');
    const received = await server.generalLog();
    expect(received).toContain('ALTER USER'); // the log does record account statements
    for (const secret of [first, rotated]) {
      expect(sent).not.toContain(secret);
      expect(received).not.toContain(secret);
    }
    expect(await storedHash()).toBe(nativeHash(rotated));
    expect(sent).toContain(`IDENTIFIED BY PASSWORD '${nativeHash(rotated)}'`);
  });

  it('rotation ends a session opened before it; the old password then fails with 1045', async () => {
    const old = await created();
    const before = await session(old);
    const rotate = stepFor(t)('run-2', 'rotate', 'rotate');
    const fresh = (await apply(rotate)).secret!.value;
    await expect(before.query('SELECT 1')).rejects.toThrow();
    await before.end().catch(() => undefined);
    expect(await tryLogin(t.direct, t.user, old)).toEqual({ ok: false, errno: 1045 });
    expect(await login(fresh)).toBe('ok');
    const result = await t.connector.verify(rotate.step, rotate.authority, fresh);
    expect(result.checks.find((c) => c.name === 'sessions ended')?.ok).toBe(true);
    expect(result.checks.find((c) => c.name === 'real login')?.detail).toMatch(/^ok/);
    expect(result.ok).toBe(true);
  });

  it('suspend ends open sessions; the locked account is refused with errno 4151', async () => {
    const secret = await created();
    const before = await session(secret);
    const suspend = stepFor(t)('run-2', 'suspend', 'suspend');
    await apply(suspend);
    await expect(before.query('SELECT 1')).rejects.toThrow();
    await before.end().catch(() => undefined);
    expect(await tryLogin(t.direct, t.user, secret)).toEqual({ ok: false, errno: 4151 });
    // verify logs in with the account's password and expects the lock, not just the flag.
    const result = await t.connector.verify(suspend.step, suspend.authority, secret);
    expect(result.checks.find((c) => c.name === 'real login')).toMatchObject({ ok: true, detail: /^locked/ });
    expect(result.ok).toBe(true);
    const notLocked = await t.connector.verify(suspend.step, suspend.authority, 'not-the-password');
    expect(notLocked.ok).toBe(false);
  });

  it('expire leaves logins in a sandbox (1820) and ends sessions opened before', async () => {
    const secret = await created();
    const before = await session(secret);
    const expire = stepFor(t)('run-2', 'expire', 'expire');
    await apply(expire);
    await expect(before.query('SELECT 1')).rejects.toThrow();
    await before.end().catch(() => undefined);
    expect(await tryLogin(t.direct, t.user, secret)).toEqual({ ok: false, errno: 1820 });
    expect((await t.connector.verify(expire.step, expire.authority, secret)).ok).toBe(true);
  });

  it('revoking the credential: no password matches, and verify proves it with the old one', async () => {
    const old = await created();
    const before = await session(old);
    const revoke = stepFor(t)('run-2', 'revoke', 'revoke');
    await apply(revoke);
    await expect(before.query('SELECT 1')).rejects.toThrow();
    await before.end().catch(() => undefined);
    expect(await storedHash()).toBe('invalid');
    expect(await login(old)).toBe('wrong_password');
    expect(await login('invalid')).toBe('wrong_password');
    expect((await t.connector.verify(revoke.step, revoke.authority, old)).ok).toBe(true);
    expect((await t.connector.verify(revoke.step, revoke.authority, 'some other text')).ok).toBe(false);
  });

  it('applies concurrent attempts of one (run, step) once', async () => {
    const old = await created();
    const rotate = stepFor(t)('run-2', 'rotate', 'rotate');
    const results = await Promise.all([apply(rotate), apply(rotate), apply(rotate)]);
    expect(results.map((r) => r.outcome).sort()).toEqual(['already_applied', 'already_applied', 'applied']);
    const fresh = results.find((r) => r.outcome === 'applied')!.secret!.value;
    expect(await storedHash()).toBe(nativeHash(fresh));
    expect(await login(old)).toBe('wrong_password');
  });

  it('a crash after the change, before its record: a restarted connector finishes it, never twice', async () => {
    t = await makeMariadbTarget(server, { crashAt: 'change' });
    const create = stepFor(t)('run-1', 'create', 'create');
    expect(await errorOf(apply(create))).toBeInstanceOf(Error); // died after CREATE USER
    const restarted = t.restart();
    const recovered = await apply(create, restarted);
    expect(recovered.outcome).toBe('already_applied');
    expect(recovered.secret).toBeUndefined(); // the secret died with the crash: never re-issued
    expect(await t.connector.list(t.system, t.authority(listScope(t.system)))).toHaveLength(1);

    expect((await t.connector.verify(create.step, create.authority)).ok).toBe(true);
  });

  it('a crash between ALTER USER and its record leaves old sessions open until the retry ends them', async () => {
    const old = await created();
    const before = await session(old);
    const hashBefore = await storedHash();
    const rotate = stepFor(t)('run-2', 'rotate', 'rotate');
    expect(await errorOf(apply(rotate, t.restart({ crashAt: 'change' })))).toBeInstanceOf(Error);
    const changed = await storedHash();
    expect(changed).not.toBe(hashBefore);
    expect(await before.query('SELECT 1')).toBeDefined(); // the window: the old session still works
    const again = await apply(rotate, t.restart());
    expect(again).toMatchObject({ outcome: 'already_applied' });
    expect(again.outputs['fingerprint']).toMatch(/^hmac-sha256:/);
    expect(await storedHash()).toBe(changed); // not rotated a second time
    await expect(before.query('SELECT 1')).rejects.toThrow();
    await before.end().catch(() => undefined);
    expect((await t.connector.verify(rotate.step, rotate.authority)).ok).toBe(true);
  });

  it('a crash after the intent, before the change: the retry applies it once, with a new secret', async () => {
    const old = await created();
    const rotate = stepFor(t)('run-2', 'rotate', 'rotate');
    expect(await errorOf(apply(rotate, t.restart({ crashAt: 'intent' })))).toBeInstanceOf(Error);
    expect(await login(old)).toBe('ok'); // nothing changed on the target
    const retried = await apply(rotate, t.restart());
    expect(retried.outcome).toBe('applied');
    expect(await login(retried.secret!.value)).toBe('ok');
    expect(await login(old)).toBe('wrong_password');
    expect((await apply(rotate)).outcome).toBe('already_applied');
    expect((await t.connector.verify(rotate.step, rotate.authority, retried.secret!.value)).ok).toBe(true);
  });

  it('records no secrets: outputs and prior states pass the ledger guard', async () => {
    await created({ ttlSeconds: 3600 });
    const s = stepFor(t);
    for (const [run, action] of [
      ['r2', 'rotate'],
      ['r3', 'expire'],
      ['r4', 'revoke'],
      ['r5', 'suspend'],
      ['r6', 'retire'],
    ] as const) {
      const step = s(run, action, action);
      assertNoSecrets(await t.connector.readPrior(step.step, step.authority));
      assertNoSecrets((await apply(step)).outputs);
    }
  });

  it('issues passwords with a lifetime in whole days (PASSWORD EXPIRE INTERVAL)', async () => {
    await created({ ttlSeconds: 3600 });
    const [row] = await server.sql<{ d: string }>(
      `SELECT JSON_VALUE(Priv, '$.password_lifetime') AS d FROM mysql.global_priv WHERE User = ?`,
      [t.user],
    );
    expect(row?.d).toBe('1');
  });

  it('a target that is down, or refuses the admin, gives a retryable CONNECTOR_UNAVAILABLE', async () => {
    t = await makeMariadbTarget(server);
    const create = stepFor(t)('run-1', 'create', 'create');
    await t.makeUnavailable!();
    const down = await errorOf(apply(create));
    expect(isCustosError(down, 'CONNECTOR_UNAVAILABLE') && down.retryable).toBe(true);
    const wrong = { ...t.system, id: `${t.system.id}-b`, connection: { ...t.direct, user: 'harness' } };
    const s = stepFor({ ...t, system: wrong })('run-1', 'create', 'create');
    const refused = await errorOf(t.connector.apply(s.step, s.authority));
    expect(isCustosError(refused, 'CONNECTOR_UNAVAILABLE') && refused.retryable).toBe(true);
    expect((refused as Error).message).not.toContain(server.adminPassword);
  });

  it('too many connections for the admin is retryable', async () => {
    t = await makeMariadbTarget(server);
    await server.sql(`ALTER USER 'custos_admin'@'127.0.0.1' WITH MAX_USER_CONNECTIONS 1`);
    const held = await t.connect(server.adminPassword, 'custos_admin');
    try {
      const error = await errorOf(apply(stepFor(t)('run-1', 'create', 'create')));
      expect(isCustosError(error, 'CONNECTOR_UNAVAILABLE') && error.retryable).toBe(true);
      expect(error).toMatchObject({ details: { errno: 1226 } });
    } finally {
      await held.end();
      await server.sql(`ALTER USER 'custos_admin'@'127.0.0.1' WITH MAX_USER_CONNECTIONS 0`);
    }
  });

  it('changes only accounts it manages, and refuses bad names before sending anything', async () => {
    t = await makeMariadbTarget(server);
    const as = (externalId: string) => stepFor({ ...t, identity: { ...t.identity, externalId } });
    const harness = as('harness@127.0.0.1')('run-1', 'suspend', 'suspend');
    expect(await errorOf(apply(harness))).toMatchObject({ code: 'TARGET_STATE_MISMATCH' });
    const takeover = as('harness@127.0.0.1')('run-1', 'create', 'create');
    expect(await errorOf(apply(takeover))).toMatchObject({ code: 'TARGET_STATE_MISMATCH' });
    const sent = t.statements.length;
    for (const bad of [
      "svc'; DROP USER root; --",
      'root',
      'Svc',
      "svc@%'",
      'custos_admin',
      'svc@10.0.0.1 x',
    ]) {
      const error = await errorOf(apply(as(bad)('run-1', 'create', 'create')));
      expect(error, bad).toMatchObject({ code: 'INPUT_INVALID', retryable: false });
    }
    expect(t.statements.length).toBe(sent);
    expect(await server.sql(`SELECT 1 FROM mysql.global_priv WHERE User = 'harness'`)).toHaveLength(1);
  });
});
