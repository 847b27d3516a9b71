/**
 * Writing the journal apart from an effect (group changes, rollback marks): read the user, change
 * its journal, PATCH it back with If-Match; on a concurrent change, read and decide again.
 */
import type { JsonValue } from '../../core/canonical-json.js';
import { ATTEMPTS, assertManaged, conflict, type StepContext } from './scim-context.js';
import { findGroup, setMembership } from './scim-groups.js';
import { journalOp, withEntry, type Journal, type JournalEntry } from './scim-journal.js';
import { findUser, patchUser, type ScimUser } from './scim-users.js';

/**
 * Applies `change` to the user's journal (and `extra` operations in the same PATCH); `change`
 * returns undefined when nothing is to be written. Returns the user as read, or undefined if absent.
 */
export async function updateJournal(
  ctx: StepContext,
  change: (journal: Journal, user: ScimUser) => { journal: Journal; extra?: JsonValue[] } | undefined,
): Promise<ScimUser | undefined> {
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const user = await findUser(ctx.client, ctx.userName);
    if (user === undefined) return undefined;
    assertManaged(ctx, user);
    const next = change(user.journal!, user);
    if (next === undefined) return user;
    const ops = [...(next.extra ?? []), journalOp(next.journal)];
    if ((await patchUser(ctx.client, user, ops, { etag: ctx.caps.etag })) === 'ok') return user;
  }
  throw conflict(ctx);
}

/** Makes the user a member of every group of the step (or of none of them). */
export async function applyGroups(ctx: StepContext, userId: string, member: boolean): Promise<void> {
  for (const name of ctx.groups ?? []) {
    const group = await findGroup(ctx.client, name);
    await setMembership(ctx.client, group, userId, member, ctx.caps.etag);
  }
}

/** Clears the `pending` mark of the step's entry once its group changes are all made. */
export async function completeEntry(ctx: StepContext): Promise<void> {
  const { runId, stepId } = ctx.step;
  await updateJournal(ctx, (journal) => {
    const entry = journal.steps.find((e) => e.run === runId && e.step === stepId);
    if (entry?.pending !== true) return undefined;
    return { journal: withEntry(journal, withoutPending(entry)) };
  });
}

export function withoutPending(entry: JournalEntry): JournalEntry {
  const { pending: _pending, ...rest } = entry;
  return rest;
}
