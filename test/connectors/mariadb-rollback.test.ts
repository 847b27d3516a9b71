// Rollback by compensation on a real MariaDB: each action undone from the prior state read before
// it, then verified on the target (and by real logins), as the run engine does.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { listScope } from '../../src/connectors/authority-check.js';
import { stepFor, type AuthorisedStep } from '../../src/connectors/kit/kit-steps.js';
import type { PriorState } from '../../src/connectors/contract.js';
import { classifyLogin, tryLogin } from '../../src/connectors/mariadb/index.js';
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

const login = async (secret: string) => classifyLogin(await tryLogin(t.direct, t.user, secret));
const errorOf = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => e,
  );

/** readPrior, apply, rollback, verify: returns the prior state and what apply issued. */
async function roundTrip(s: AuthorisedStep): Promise<{ prior: PriorState; secret?: string }> {
  const prior = await t.connector.readPrior(s.step, s.authority);
  const applied = await t.connector.apply(s.step, s.authority);
  await t.connector.rollback(s.step, s.authority, prior);
  const check = await t.connector.verify(s.step, s.authority);
  expect(check.ok, JSON.stringify(check.checks)).toBe(true);
  expect(await t.connector.readPrior(s.step, s.authority)).toEqual(prior);
  return applied.secret === undefined ? { prior } : { prior, secret: applied.secret.value };
}
async function created(params = {}): Promise<string> {
  t = await makeMariadbTarget(server);
  return (await t.connector.apply(...args(stepFor(t)('run-1', 'create', 'create', params)))).secret!.value;
}
const args = (s: AuthorisedStep) => [s.step, s.authority] as const;

describe.skipIf(!present)('mariadb rollback', () => {
  it('a create is undone by dropping the account and forgetting it', async () => {
    t = await makeMariadbTarget(server);
    const { secret } = await roundTrip(stepFor(t)('run-1', 'create', 'create'));
    expect(await login(secret!)).toBe('wrong_password');
    expect(await server.sql('SELECT 1 FROM mysql.global_priv WHERE User = ?', [t.user])).toEqual([]);
    expect(await t.connector.list(t.system, t.authority(listScope(t.system)))).toEqual([]);
  });

  it('a rotation is undone by putting the old hash back, and verify logs in to prove it', async () => {
    const old = await created();
    const rotate = stepFor(t)('run-2', 'rotate', 'rotate');
    const { secret } = await roundTrip(rotate);
    expect(await login(old)).toBe('ok');
    expect(await login(secret!)).toBe('wrong_password');
    // verify with the issued (now withdrawn) secret expects it to fail for real.
    const check = await t.connector.verify(...args(rotate), secret);
    expect(check.checks.find((c) => c.name === 'real login')?.detail).toMatch(/^wrong_password/);
    expect(check.ok).toBe(true);
  });

  it('suspend, expire and credential revocation are undone; the password logs in again', async () => {
    const secret = await created();
    for (const [run, action] of [
      ['run-2', 'suspend'],
      ['run-3', 'expire'],
      ['run-4', 'revoke'],
    ] as const) {
      await roundTrip(stepFor(t)(run, action, action));
      expect(await login(secret), action).toBe('ok');
    }
  });

  it('grants and revokes of entitlements are undone, privilege by privilege', async () => {
    t = await makeMariadbTarget(server);
    await server.sql(`CREATE TABLE ${t.database}.orders (id int)`);
    const held = [`SELECT ON ${t.database}.orders`];
    await t.connector.apply(...args(stepFor(t)('run-1', 'create', 'create', { entitlements: held })));
    const both = [...held, `INSERT ON ${t.database}.*`];
    const { prior } = await roundTrip(stepFor(t)('run-2', 'grant', 'grant', { entitlements: both }));
    expect(prior['grants']).toEqual([
      { privilege: 'SELECT', on: 'table', name: `${t.database}.orders`, held: true },
      { privilege: 'INSERT', on: 'database', name: t.database, held: false },
    ]);
    await roundTrip(stepFor(t)('run-3', 'revoke', 'revoke', { entitlements: held }));
    const grants = await server.sql<Record<string, string>>(`SHOW GRANTS FOR '${t.user}'@'%'`);
    const text = grants.map((r) => Object.values(r)[0]).join('\n');
    expect(text).toContain(`GRANT SELECT ON \`${t.database}\`.\`orders\``);
    expect(text).not.toContain('INSERT');
  });

  it('refuses a prior password the step did not replace, changing nothing', async () => {
    await created();
    const rotate = stepFor(t)('run-2', 'rotate', 'rotate');
    const prior = await t.connector.readPrior(...args(rotate));
    const fresh = (await t.connector.apply(...args(rotate))).secret!.value;
    const forged = { ...prior, credentials: [{ fingerprint: 'hmac-sha256:x:forged' }] };
    const error = await errorOf(t.connector.rollback(...args(rotate), forged));
    expect(error).toMatchObject({ code: 'TARGET_STATE_MISMATCH', retryable: false });
    expect(await login(fresh)).toBe('ok');
    const other = await errorOf(t.connector.rollback(...args(rotate), { ...prior, account: "'root'@'%'" }));
    expect(other).toMatchObject({ code: 'INPUT_INVALID' });
  });

  it('retire is irreversible: planned so, and its rollback refused', async () => {
    await created();
    const retire = stepFor(t)('run-2', 'retire', 'retire');
    expect((await t.connector.plan(...args(retire))).rollback).toBe('irreversible');
    const prior = await t.connector.readPrior(...args(retire));
    await t.connector.apply(...args(retire));
    expect((await t.connector.verify(...args(retire))).ok).toBe(true);
    expect(await errorOf(t.connector.rollback(...args(retire), prior))).toMatchObject({
      code: 'TARGET_STATE_MISMATCH',
    });
  });
});
