/**
 * Reads a step's effect back from the service — the user, its `active` flag, its group
 * memberships and the journal entry the step wrote — and, when the system names a login check
 * and the caller still holds the issued password, logs in with it for real. SCIM passwords are
 * write-only: without a login check, "the password is the one this step set" rests on the journal
 * (no later Custos step replaced it), not on the service; an old password cannot be tried, since
 * Custos never keeps one.
 *
 * After a rollback the user is compared with the prior state the rollback restored (kept in the
 * journal entry, or — when the user is gone and the journal with it — remembered by the connector
 * that ran the rollback, which the run engine always verifies right after restoring).
 */
import { fingerprint } from '../../ledger/secrets.js';
import type { VerifyCheck, VerifyResult } from '../contract.js';
import type { ScimConnection } from './scim-connection.js';
import { isManaged, type StepContext } from './scim-context.js';
import { findGroup, isMember } from './scim-groups.js';
import { findEntry, type JournalEntry } from './scim-journal.js';
import { tryLogin } from './scim-login.js';
import { parsePrior, type Prior } from './scim-prior.js';
import { findUser, type ScimUser } from './scim-users.js';

type Check = (name: string, ok: boolean, detail: string) => void;

export async function verifyStep(
  ctx: StepContext,
  conn: ScimConnection,
  remembered: Prior | undefined,
  secret?: string,
): Promise<VerifyResult> {
  const checks: VerifyCheck[] = [];
  const check: Check = (name, ok, detail) => checks.push({ name, ok, detail });
  const user = await findUser(ctx.client, ctx.userName);
  if (user === undefined) {
    absentChecks(ctx, remembered, check);
    return result(checks);
  }
  if (!isManaged(ctx, user)) {
    check('managed by this identity', false, 'the journal names another system or identity, or none');
    return result(checks);
  }
  const entry = findEntry(user.journal, ctx.step.runId, ctx.step.stepId);
  if (entry === undefined) {
    check('applied', false, `no effect recorded for ${ctx.step.runId}/${ctx.step.stepId}`);
    return result(checks);
  }
  if (entry.rolledBackAt !== undefined) {
    check('rolled back', true, `rolled back at ${entry.rolledBackAt}`);
    await restoredChecks(ctx, user, parsePrior(entry.restored), check);
    return result(checks);
  }
  await effectChecks(ctx, user, entry, check);
  const issued = entry.outputs['fingerprint'];
  if (secret !== undefined && typeof issued === 'string' && conn.loginUrl !== undefined) {
    const login =
      fingerprint(ctx.key, secret) === issued
        ? await tryLogin(conn, user.userName, secret)
        : 'not the issued secret';
    const want = user.active === false ? 'inactive' : 'ok';
    check('real login with the issued password', login === want, `${login} (expected ${want})`);
  }
  return result(checks);
}

function absentChecks(ctx: StepContext, remembered: Prior | undefined, check: Check): void {
  if (ctx.step.action === 'retire') {
    check('user deleted', true, `no SCIM user named ${ctx.userName}`);
  } else if (remembered?.exists === false) {
    check('rolled back', true, 'the user this step created was deleted by the rollback');
    check('user absent as before', true, `no SCIM user named ${ctx.userName}`);
  } else {
    check('user exists', false, `no SCIM user named ${ctx.userName}`);
  }
}

async function effectChecks(
  ctx: StepContext,
  user: ScimUser,
  entry: JournalEntry,
  check: Check,
): Promise<void> {
  const { action, runId, stepId } = ctx.step;
  check(action === 'retire' ? 'user deleted' : 'user exists', action !== 'retire', `id ${user.id}`);
  if (entry.pending === true) check('group changes complete', false, 'the step left group changes pending');
  const wanted = action === 'create' || action === 'enable' ? true : action === 'suspend' ? false : undefined;
  if (wanted !== undefined) check('active', user.active === wanted, `is ${String(user.active)}`);
  const setsPassword =
    typeof entry.outputs['fingerprint'] === 'string' || entry.outputs['credentialRevoked'] === true;
  if (setsPassword) {
    const last = user.journal?.credential;
    const same = last?.run === runId && last.step === stepId;
    const detail = same
      ? 'no later Custos step replaced it'
      : `replaced since by ${last?.run ?? '?'}/${last?.step ?? '?'}`;
    check('password is the one this step set (journal)', same, detail);
  }
  const member = action !== 'revoke';
  for (const name of ctx.groups ?? []) {
    const held = await isMember(ctx.client, await findGroup(ctx.client, name), user.id);
    check(`member of group ${name}`, held === member, held ? 'member' : 'not a member');
  }
}

async function restoredChecks(ctx: StepContext, user: ScimUser, prior: Prior, check: Check): Promise<void> {
  check(
    'user exists as before',
    prior.exists,
    prior.exists ? `id ${user.id}` : 'the user did not exist before',
  );
  if (prior.active !== null) {
    check(
      'active restored',
      user.active === prior.active,
      `is ${String(user.active)}, was ${String(prior.active)}`,
    );
  }
  for (const g of prior.groups) {
    const held = await isMember(ctx.client, await findGroup(ctx.client, g.name), user.id);
    check(
      `group ${g.name} restored`,
      held === g.member,
      `${held ? 'member' : 'not a member'}, was ${g.member ? 'member' : 'not'}`,
    );
  }
}

function result(checks: VerifyCheck[]): VerifyResult {
  return { ok: checks.length > 0 && checks.every((c) => c.ok), checks };
}
