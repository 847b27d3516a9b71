/**
 * The effect of each action, sent together with its journal entry in one request wherever the
 * change is to the User itself (create, rotate, revoke of the credential, suspend, enable). Group
 * changes (grant, revoke of entitlements, create with entitlements) are journalled first as
 * `pending`, made, then completed. 'conflict' means the service refused the write because the user
 * changed since it was read (412) or vanished (404): the caller reads again and decides afresh.
 */
import type { JsonValue } from '../../core/canonical-json.js';
import { CustosError } from '../../core/errors.js';
import { fingerprint } from '../../ledger/secrets.js';
import type { ApplyResult, IssuedSecret } from '../contract.js';
import { newPassword, type StepContext } from './scim-context.js';
import { describeEntitlement } from './scim-entitlements.js';
import {
  CUSTOS_EXTENSION,
  journalAttribute,
  journalOp,
  newJournal,
  withEntry,
  type Credential,
  type JournalEntry,
} from './scim-journal.js';
import { applyGroups, completeEntry } from './scim-journal-write.js';
import { USER_SCHEMA, createUser, deleteUser, findUser, patchUser, type ScimUser } from './scim-users.js';

export type EffectResult = ApplyResult | 'conflict';

function entryOf(ctx: StepContext, outputs: Record<string, JsonValue>, pending = false): JournalEntry {
  const { runId: run, stepId: step, action } = ctx.step;
  return { run, step, action, at: ctx.now.toISOString(), outputs, ...(pending ? { pending: true } : {}) };
}

function issue(ctx: StepContext): { password: string; secret: IssuedSecret; credential: Credential } {
  const password = newPassword();
  const value = fingerprint(ctx.key, password);
  const credential = { fingerprint: value, run: ctx.step.runId, step: ctx.step.stepId };
  return { password, secret: { value: password, fingerprint: value }, credential };
}

function issued(ctx: StepContext, outputs: Record<string, JsonValue>, secret: IssuedSecret): ApplyResult {
  return {
    outcome: 'applied',
    outputs,
    secret,
    artifact: { hash: secret.fingerprint, version: ctx.step.runId },
  };
}

export async function create(ctx: StepContext): Promise<EffectResult> {
  const { step, userName } = ctx;
  const { password, secret, credential } = issue(ctx);
  const groups = ctx.groups ?? [];
  const outputs = {
    userName,
    externalId: step.identity.id,
    fingerprint: secret.fingerprint,
    active: true,
    groups: groups.map(describeEntitlement),
  };
  const entry = entryOf(ctx, outputs, groups.length > 0);
  const journal = withEntry(newJournal(step.system.id, step.identity.id), entry, credential);
  const body = {
    schemas: [USER_SCHEMA, CUSTOS_EXTENSION],
    userName,
    externalId: step.identity.id,
    active: true,
    password,
    [CUSTOS_EXTENSION]: journalAttribute(journal),
  };
  const user = await createUser(ctx.client, body, [password]);
  if (user === 'conflict') {
    // 409: the userName is taken (read again and decide), or some other attribute clashes.
    if ((await findUser(ctx.client, userName)) !== undefined) return 'conflict';
    throw new CustosError('CONNECTOR_REFUSED', `SCIM refused to create ${userName}: 409 uniqueness`, {
      details: { status: 409, scimType: 'uniqueness' },
    });
  }
  if (groups.length > 0) {
    await applyGroups(ctx, user.id, true);
    await completeEntry(ctx);
  }
  return issued(ctx, outputs, secret);
}

/** rotate, and revoke without entitlements (the credential: replaced by one nobody receives). */
export async function replacePassword(ctx: StepContext, user: ScimUser): Promise<EffectResult> {
  if (!ctx.caps.changePassword) {
    throw new CustosError('CONNECTOR_REFUSED', 'the SCIM service does not support changing passwords');
  }
  const { password, secret, credential } = issue(ctx);
  const rotate = ctx.step.action === 'rotate';
  const outputs = rotate
    ? { userName: ctx.userName, fingerprint: secret.fingerprint, overlapSeconds: 0 }
    : { userName: ctx.userName, credentialRevoked: true };
  const journal = withEntry(
    user.journal!,
    entryOf(ctx, outputs),
    rotate ? credential : { ...credential, fingerprint: null },
  );
  const ops = [{ op: 'replace', path: 'password', value: password }, journalOp(journal)];
  const sent = await patchUser(ctx.client, user, ops, { etag: ctx.caps.etag, redact: [password] });
  if (sent === 'conflict') return 'conflict';
  return rotate ? issued(ctx, outputs, secret) : { outcome: 'applied', outputs };
}

export async function setActive(ctx: StepContext, user: ScimUser, active: boolean): Promise<EffectResult> {
  const outputs = { userName: ctx.userName, active };
  const journal = withEntry(user.journal!, entryOf(ctx, outputs));
  const ops = [{ op: 'replace', path: 'active', value: active }, journalOp(journal)];
  const sent = await patchUser(ctx.client, user, ops, { etag: ctx.caps.etag });
  return sent === 'conflict' ? 'conflict' : { outcome: 'applied', outputs };
}

export async function changeGroups(ctx: StepContext, user: ScimUser, member: boolean): Promise<EffectResult> {
  const groups = ctx.groups ?? [];
  if (groups.length === 0)
    throw new CustosError('INPUT_INVALID', `${ctx.step.action} needs params.entitlements`);
  const outputs = {
    userName: ctx.userName,
    [member ? 'granted' : 'revoked']: groups.map(describeEntitlement),
  };
  const journal = withEntry(user.journal!, entryOf(ctx, outputs, true));
  if ((await patchUser(ctx.client, user, [journalOp(journal)], { etag: ctx.caps.etag })) === 'conflict') {
    return 'conflict';
  }
  await applyGroups(ctx, user.id, member);
  await completeEntry(ctx);
  return { outcome: 'applied', outputs };
}

/** DELETE /Users/{id}: the journal goes with the user; a repeat finds no user and says so. */
export async function retire(ctx: StepContext, user: ScimUser): Promise<EffectResult> {
  const result = await deleteUser(ctx.client, user, ctx.caps.etag);
  return result === 'conflict' ? 'conflict' : { outcome: 'applied', outputs: retiredOutputs(ctx) };
}

export function retiredOutputs(ctx: StepContext): Record<string, JsonValue> {
  return { userName: ctx.userName, retired: true };
}
