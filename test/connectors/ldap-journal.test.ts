/**
 * Idempotency and the overlap window of the ldap connector, on a private slapd: a restarted
 * process, a crash between the change and its journal mark (settled from the directory, never
 * applied twice), a crash before the change (the lease, then a takeover), concurrent attempts,
 * and the removal of a rotation's old password after its window.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { listScope } from '../../src/connectors/authority-check.js';
import type { AuthorisedStep } from '../../src/connectors/kit/kit-steps.js';
import { stepFor } from '../../src/connectors/kit/kit-steps.js';
import {
  journalKey,
  parseSettings,
  readAccount,
  overlapScope,
  tryBind,
  withAdmin,
} from '../../src/connectors/ldap/index.js';
import { isCustosError } from '../../src/core/errors.js';
import { ldapAvailable, startLdapServer, type LdapServer } from './ldap/ldap-server.js';
import { makeLdapTarget, type LdapTarget, type TargetOptions } from './ldap/ldap-target.js';

const available = ldapAvailable();
let server: LdapServer;
let t: LdapTarget;
beforeAll(async () => {
  if (available) server = await startLdapServer();
});
afterAll(() => server?.stop());
afterEach(() => t?.cleanup());

const apply = (s: AuthorisedStep) => t.connector.apply(s.step, s.authority);
const login = async (secret: string) =>
  (await tryBind({ url: server.url, timeoutMs: 5000 }, t.account, secret)).ok;
const passwords = () =>
  withAdmin(
    { ...parseSettings(t.system), url: server.url },
    server.adminPassword,
    'test',
    () => undefined,
    async (l) => (await readAccount(l, t.account))?.passwords.length,
  );
const journalState = () =>
  server.root(async (c) => {
    const key = journalKey('run-2', 'rotate');
    const dn = `cn=${key},ou=custos-journal,ou=services,${t.base}`;
    const { searchEntries } = await c.search(dn, { scope: 'base', attributes: ['description', 'ou'] });
    const raw = searchEntries[0]?.['description'];
    return { record: JSON.parse(String(raw)) as { state: string }, ou: searchEntries[0]?.['ou'] };
  });
async function created(options: TargetOptions = {}): Promise<string> {
  t = await makeLdapTarget(server, options);
  return (await apply(stepFor(t)('run-1', 'create', 'create'))).secret!.value;
}
const isJournalApplied = (op: { op: string; detail: readonly string[] }) =>
  op.op === 'modify' && op.detail.some((d) => d.includes('"state":"applied"'));

describe.runIf(available)('ldap connector: idempotency and overlap', () => {
  it('a fresh connector (a restarted process) answers already_applied with the same outputs', async () => {
    await created();
    const rotate = stepFor(t)('run-2', 'rotate', 'rotate');
    const first = await apply(rotate);
    const again = await t.fresh().apply(rotate.step, rotate.authority);
    expect(again).toEqual({ outcome: 'already_applied', outputs: first.outputs });
    expect(await login(first.secret!.value)).toBe(true);
  });

  it('a crash between the change and its journal mark is settled from the directory, not applied twice', async () => {
    const old = await created();
    const rotate = stepFor(t)('run-2', 'rotate', 'rotate');
    t.faults.when = isJournalApplied; // the process dies after the modify, before marking the record
    expect(await apply(rotate).catch((e: unknown) => e)).toBeInstanceOf(Error);
    expect((await journalState()).record.state).toBe('pending');
    const again = await t.fresh().apply(rotate.step, rotate.authority);
    expect(again.outcome).toBe('already_applied');
    expect(again.secret).toBeUndefined();
    expect((await journalState()).record.state).toBe('applied');
    expect(await passwords()).toBe(1);
    expect(await login(old)).toBe(false);
    expect((await t.fresh().verify(rotate.step, rotate.authority)).ok).toBe(true);
  });

  it('a crash before the change: a retry waits while the lease holds (retryable), then takes over', async () => {
    const old = await created({ leaseWaitMs: 300 });
    const rotate = stepFor(t)('run-2', 'rotate', 'rotate');
    let dead = false; // the process dies just before changing the account: nothing after gets out
    t.faults.when = (op) => (dead ||= op.op === 'modify' && op.dn === t.account);
    await apply(rotate).catch(() => undefined);
    const restarted = t.fresh();
    const busy = await restarted.apply(rotate.step, rotate.authority).catch((e: unknown) => e);
    expect(isCustosError(busy, 'TARGET_STATE_MISMATCH') && busy.retryable).toBe(true);
    expect(await login(old)).toBe(true);
    t.clock.now = new Date(t.clock.now.getTime() + 31_000); // the lease (30 s) has run out
    const taken = await restarted.apply(rotate.step, rotate.authority);
    expect(taken.outcome).toBe('applied');
    expect(await login(taken.secret!.value)).toBe(true);
    expect(await login(old)).toBe(false);
    expect(await passwords()).toBe(1);
  });

  it('a refused change releases its lease: the retry settles at once', async () => {
    await created({ leaseWaitMs: 60_000 });
    const rotate = stepFor(t)('run-2', 'rotate', 'rotate');
    t.faults.when = (op) => op.op === 'modify' && op.dn === t.account;
    await apply(rotate).catch(() => undefined);
    t.faults.when = undefined;
    const started = Date.now();
    expect((await apply(rotate)).outcome).toBe('applied');
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('applies concurrent attempts of one (run, step) once', async () => {
    const old = await created();
    const rotate = stepFor(t)('run-2', 'rotate', 'rotate');
    const results = await Promise.all([
      apply(rotate),
      t.fresh().apply(rotate.step, rotate.authority),
      apply(rotate),
    ]);
    expect(results.map((r) => r.outcome).sort()).toEqual(['already_applied', 'already_applied', 'applied']);
    const fresh = results.find((r) => r.outcome === 'applied')!.secret!.value;
    expect(await login(fresh)).toBe(true);
    expect(await login(old)).toBe(false);
    expect(await passwords()).toBe(1);
  });

  it('ends an overlap window at the next call on the account even when no sweep ran', async () => {
    const old = await created();
    const rotate = stepFor(t)('run-2', 'rotate', 'rotate', { overlapSeconds: 60 });
    const fresh = (await apply(rotate)).secret!.value;
    expect((await journalState()).ou).toBe('overlap-pending');
    t.clock.now = new Date(t.clock.now.getTime() + 61_000); // time passes; the timer tick has not run
    expect(await login(old)).toBe(true);
    const [listed] = await t.connector.list(t.system, t.authority(listScope(t.system)));
    expect(listed?.attributes['overdueOverlaps']).toBe(1);
    const verdict = await t.connector.verify(rotate.step, rotate.authority);
    expect(verdict.ok).toBe(false);
    expect(verdict.checks.find((c) => !c.ok)?.detail).toMatch(/outlived its overlap window/);
    const suspend = stepFor(t)('run-3', 'suspend', 'suspend');
    await t.connector.readPrior(suspend.step, suspend.authority);
    expect(await login(old)).toBe(false);
    expect(await login(fresh)).toBe(true);
    expect((await journalState()).ou).toEqual([]);
    expect((await t.connector.verify(rotate.step, rotate.authority, fresh)).ok).toBe(true);
  });

  it('the sweep needs its own authority, and leaves a rolled-back rotation alone', async () => {
    const old = await created();
    const rotate = stepFor(t)('run-2', 'rotate', 'rotate', { overlapSeconds: 60 });
    const prior = await t.connector.readPrior(rotate.step, rotate.authority);
    const fresh = (await apply(rotate)).secret!.value;
    const wrong = await t.connector.endOverlaps(t.system, rotate.authority).catch((e: unknown) => e);
    expect(isCustosError(wrong, 'AUTHORITY_SCOPE')).toBe(true);
    await t.connector.rollback(rotate.step, rotate.authority, prior);
    expect(await login(fresh)).toBe(false);
    t.clock.now = new Date(t.clock.now.getTime() + 61_000);
    expect(await t.connector.endOverlaps(t.system, t.authority(overlapScope(t.system)))).toBe(0);
    expect(await login(old)).toBe(true);
    expect((await t.connector.verify(rotate.step, rotate.authority, fresh)).ok).toBe(true);
  });

  it('rolls back a rotation made during another overlap to both prior passwords', async () => {
    const first = await created();
    const second = (await apply(stepFor(t)('run-2', 'rotate', 'rotate', { overlapSeconds: 600 }))).secret!
      .value;
    const third = stepFor(t)('run-3', 'rotate', 'rotate');
    const prior = await t.connector.readPrior(third.step, third.authority);
    expect(prior['credentials']).toHaveLength(2);
    const fresh = (await apply(third)).secret!.value;
    expect(await login(first)).toBe(false);
    await t.connector.rollback(third.step, third.authority, prior);
    expect([await login(first), await login(second), await login(fresh)]).toEqual([true, true, false]);
    expect((await t.connector.verify(third.step, third.authority)).ok).toBe(true);
    await t.advance(601); // the first rotation's window still ends on time
    expect([await login(first), await login(second)]).toEqual([false, true]);
  });

  it('rolls back a create: the entry and its memberships go', async () => {
    t = await makeLdapTarget(server);
    const create = stepFor(t)('run-1', 'create', 'create', { entitlements: ['readers'] });
    const prior = await t.connector.readPrior(create.step, create.authority);
    const secret = (await apply(create)).secret!.value;
    await t.connector.rollback(create.step, create.authority, prior);
    expect(await login(secret)).toBe(false);
    expect((await t.connector.verify(create.step, create.authority, secret)).ok).toBe(true);
    const members = await server.root(async (c) => {
      const { searchEntries } = await c.search(`cn=readers,${t.groupsDn}`, {
        scope: 'base',
        attributes: ['member'],
      });
      return String(searchEntries[0]?.['member']);
    });
    expect(members).not.toContain(t.account);
  });
});
