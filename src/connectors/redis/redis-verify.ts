/**
 * Reads a step's effect back (ACL GETUSER, ACL DRYRUN, CLIENT LIST, the user's record) and, when
 * the caller holds a password, logs in with it for real. Verify only reads: it reports an old
 * password still valid past its overlap window as a failure instead of removing it.
 *
 * A step that set a password is checked against the hash it set (kept in its journal entry), so a
 * password reset behind Custos's back is noticed even when the caller no longer holds the secret.
 * The old password cannot be tried for real (Custos never held it): its hash must be gone from the
 * user, which is exactly what Redis checks at AUTH. After a rollback, the user is compared with
 * the prior state the rollback restored (redis-verify-restore.ts).
 */
import { fingerprint, type FingerprintKey } from '../../ledger/secrets.js';
import type { Step, VerifyCheck, VerifyResult } from '../contract.js';
import { readAclUser, sha256Hex, type AclUser } from './redis-acl.js';
import type { AdminSession, RedisConnection } from './redis-admin.js';
import type { Catalog } from './redis-catalog.js';
import { describeEntitlement, entitlementsOf } from './redis-entitlements.js';
import { holdingDetail, holdingIs, holdings } from './redis-held.js';
import { readEntry, readRecord, type JournalEntry, type ManagedRecord } from './redis-journal.js';
import { tryLogin } from './redis-login.js';
import { restoredChecks } from './redis-verify-restore.js';
import { sessionIds } from './redis-sessions.js';

export interface VerifyContext {
  readonly key: FingerprintKey;
  readonly now: Date;
  readonly settings: RedisConnection;
  readonly catalog: () => Promise<Catalog>;
}

/** Whether the user may log in after each action (others: as its state says). */
const EXPECT_LOGIN: Partial<Record<string, boolean>> = {
  create: true,
  rotate: true,
  enable: true,
  suspend: false,
  retire: false,
};
const EXPECT_ENABLED: Partial<Record<string, boolean>> = { create: true, enable: true, suspend: false };

type Check = (name: string, ok: boolean, detail: string) => void;

export async function verifyStep(
  session: AdminSession,
  step: Step,
  user: string,
  ctx: VerifyContext,
  secret?: string,
): Promise<VerifyResult> {
  const entry = await readEntry(session, step);
  if (entry === undefined) {
    return {
      ok: false,
      checks: [{ name: 'applied', ok: false, detail: `no effect recorded for ${step.runId}/${step.stepId}` }],
    };
  }
  const current = await readAclUser((...argv) => session.call(...argv), user);
  const record = await readRecord(session, user);
  const checks: VerifyCheck[] = [];
  const check: Check = (name, ok, detail) => checks.push({ name, ok, detail });
  const rolledBack = entry.rolledBackAt !== null;
  if (rolledBack) restoredChecks(entry, current, record, ctx.key, check);
  else await effectChecks(session, step, user, entry, current, record, ctx, check);
  if (secret !== undefined) await loginCheck(step, user, entry, current, ctx, secret, check);
  return { ok: checks.every((c) => c.ok), checks };
}

async function effectChecks(
  session: AdminSession,
  step: Step,
  user: string,
  entry: JournalEntry,
  current: AclUser | undefined,
  record: ManagedRecord | undefined,
  ctx: VerifyContext,
  check: Check,
): Promise<void> {
  const ends =
    ['rotate', 'suspend', 'retire', 'end_sessions'].includes(step.action) ||
    entry.outputs['passwordsRemoved'] === true;
  if (ends) {
    const stale = (await sessionIds(session, user)).filter((id) => id < entry.clientId).length;
    check('sessions ended', stale === 0, `${stale} session(s) opened before the step`);
  }
  if (step.action === 'retire') {
    check(
      'user deleted',
      current === undefined,
      current === undefined ? 'absent' : `user ${user} still exists`,
    );
    return;
  }
  check(
    'user exists',
    current !== undefined,
    current === undefined ? `user ${user} is absent` : 'ACL GETUSER',
  );
  if (current === undefined) return;
  const managed = record?.system === step.system.id && record.identity === step.identity.id;
  check(
    'managed by Custos for this identity',
    managed,
    managed ? `custos:user:${user}` : 'no matching record',
  );
  const enabled = EXPECT_ENABLED[step.action];
  if (enabled !== undefined) check('enabled', current.enabled === enabled, current.enabled ? 'on' : 'off');
  if (entry.setHash !== null) {
    const same =
      step.action === 'create'
        ? current.passwords.length === 1 && current.passwords[0] === entry.setHash
        : current.passwords.includes(entry.setHash);
    check(
      'password is the one this step set',
      same,
      same ? 'its SHA-256 is on the user' : "the user's passwords were changed after this step",
    );
  }
  if (step.action === 'rotate') oldPasswordChecks(entry, current, record, ctx.now, check);
  if (entry.outputs['passwordsRemoved'] === true) {
    check('passwords removed', current.passwords.length === 0, `${current.passwords.length} password(s)`);
  }
  const list = entitlementsOf(step.params) ?? [];
  if (list.length === 0 || !['create', 'grant', 'revoke'].includes(step.action)) return;
  for (const h of await holdings(session, user, current, await ctx.catalog(), list)) {
    check(describeEntitlement(h.entitlement), holdingIs(h, step.action !== 'revoke'), holdingDetail(h));
  }
}

function oldPasswordChecks(
  entry: JournalEntry,
  current: AclUser,
  record: ManagedRecord | undefined,
  now: Date,
  check: Check,
): void {
  for (const [i, hash] of entry.priorPasswords.entries()) {
    const name = `old password ${i + 1} of ${entry.priorPasswords.length}`;
    if (!current.passwords.includes(hash)) {
      check(name, true, 'removed');
      continue;
    }
    const until = record?.retiring.find((r) => r.hash === hash)?.until;
    const running = until !== undefined && Date.parse(until) > now.getTime();
    const overdue =
      until === undefined
        ? 'and no overlap records its end'
        : `${Math.round((now.getTime() - Date.parse(until)) / 1000)}s after the overlap's end (endOverlaps has not run)`;
    check(name, running, running ? `valid until ${until} (overlap)` : `still valid ${overdue}`);
  }
}

async function loginCheck(
  step: Step,
  user: string,
  entry: JournalEntry,
  current: AclUser | undefined,
  ctx: VerifyContext,
  secret: string,
  check: Check,
): Promise<void> {
  const name = 'real login (AUTH) with the given password';
  const issued = entry.outputs['fingerprint'];
  const rolledBack = entry.rolledBackAt !== null;
  if (!rolledBack && typeof issued === 'string' && fingerprint(ctx.key, secret) !== issued) {
    check(name, false, 'not the password this step issued (not tried)');
    return;
  }
  const onUser = current !== undefined && current.enabled && current.passwords.includes(sha256Hex(secret));
  const want = rolledBack ? onUser : (EXPECT_LOGIN[step.action] ?? onUser);
  const outcome = await tryLogin(ctx.settings, user, secret);
  const ok = outcome !== 'failed' && (outcome === 'ok') === want;
  check(name, ok, `${outcome === 'refused' ? 'WRONGPASS' : outcome} (expected ${want ? 'ok' : 'WRONGPASS'})`);
}
