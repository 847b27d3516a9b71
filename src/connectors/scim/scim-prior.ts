/**
 * The prior state of a step (read before apply) and rollback by compensation from it. SCIM has no
 * transactions: each restore is its own request, with the rollback mark in the user's journal
 * (in the same PATCH where the user itself changes), so that verify compares the user with the
 * restored prior state afterwards.
 *
 * What cannot be restored is refused, never pretended: a replaced password (SCIM passwords are
 * write-only and accept no hash, so the old one cannot be read or put back) and a deleted user.
 */
import { z } from 'zod';
import type { JsonValue } from '../../core/canonical-json.js';
import { CustosError } from '../../core/errors.js';
import type { PriorState } from '../contract.js';
import { ATTEMPTS, assertManaged, conflict, isManaged, type StepContext } from './scim-context.js';
import { findGroup, isMember, setMembership } from './scim-groups.js';
import { findEntry, withEntry, type Journal, type JournalEntry } from './scim-journal.js';
import { updateJournal, withoutPending } from './scim-journal-write.js';
import { deleteUser, findUser } from './scim-users.js';

export const priorSchema = z.object({
  exists: z.boolean(),
  managed: z.boolean(),
  active: z.boolean().nullable(),
  /** Fingerprint of the password Custos set last (per the journal); null when none or revoked. */
  credential: z.string().nullable(),
  groups: z.array(z.object({ name: z.string(), member: z.boolean() })),
});

export type Prior = z.infer<typeof priorSchema>;

export async function readPriorState(ctx: StepContext): Promise<PriorState> {
  const user = await findUser(ctx.client, ctx.userName);
  const groups: { name: string; member: boolean }[] = [];
  if (user !== undefined) {
    for (const name of ctx.groups ?? []) {
      groups.push({ name, member: await isMember(ctx.client, await findGroup(ctx.client, name), user.id) });
    }
  }
  return {
    exists: user !== undefined,
    managed: user !== undefined && isManaged(ctx, user),
    active: user?.active ?? null,
    credential: user?.journal?.credential?.fingerprint ?? null,
    groups,
  };
}

export function parsePrior(input: unknown): Prior {
  const parsed = priorSchema.safeParse(input);
  if (!parsed.success) throw new CustosError('INPUT_INVALID', 'prior state is not a SCIM prior state');
  return parsed.data;
}

/**
 * Restores `prior`. Returns 'absent' when the user is gone afterwards (a rolled-back create, or a
 * step that never found one), so the connector can remember the restore for verify: the journal
 * went with the user.
 */
export async function restorePrior(ctx: StepContext, prior: Prior): Promise<'marked' | 'absent'> {
  const { step } = ctx;
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const user = await findUser(ctx.client, ctx.userName);
    if (user === undefined) {
      if (prior.exists) {
        const what = step.action === 'retire' ? 'retire cannot be rolled back' : 'it was deleted since';
        throw new CustosError('TARGET_STATE_MISMATCH', `SCIM user ${ctx.userName} is gone: ${what}`);
      }
      return 'absent';
    }
    assertManaged(ctx, user);
    const entry = findEntry(user.journal, step.runId, step.stepId);
    if (!prior.exists) {
      // Only the user this step created is deleted: its journal entry came with the POST.
      if (entry === undefined) {
        throw new CustosError(
          'TARGET_STATE_MISMATCH',
          `SCIM user ${ctx.userName} was not created by ${step.stepId}`,
        );
      }
      const deleted = await deleteUser(ctx.client, user, ctx.caps.etag);
      if (deleted !== 'conflict') return 'absent';
      continue;
    }
    if (entry?.rolledBackAt !== undefined) return 'marked';
    if (entry !== undefined && replacedPassword(entry)) {
      throw new CustosError(
        'CONNECTOR_REFUSED',
        `SCIM passwords are write-only: the password ${step.stepId} replaced cannot be restored ` +
          '(issue a new credential with a rotate step instead)',
      );
    }
    for (const g of prior.groups) {
      await setMembership(ctx.client, await findGroup(ctx.client, g.name), user.id, g.member, ctx.caps.etag);
    }
    await markRolledBack(ctx, prior);
    return 'marked';
  }
  throw conflict(ctx);
}

/** Puts `active` back where it differs, in the PATCH that writes the rollback mark. */
async function markRolledBack(ctx: StepContext, prior: Prior): Promise<void> {
  await updateJournal(ctx, (journal, user) => {
    const extra: JsonValue[] = [];
    if (prior.active !== null && user.active !== prior.active) {
      extra.push({ op: 'replace', path: 'active', value: prior.active });
    }
    return { journal: marked(ctx, journal, prior), extra };
  });
}

function marked(ctx: StepContext, journal: Journal, prior: Prior): Journal {
  const { runId: run, stepId: step, action } = ctx.step;
  const entry = findEntry(journal, run, step);
  const base: JournalEntry =
    entry === undefined
      ? { run, step, action, at: ctx.now.toISOString(), outputs: {} }
      : withoutPending(entry);
  return withEntry(journal, { ...base, rolledBackAt: ctx.now.toISOString(), restored: prior });
}

/** Whether the entry's step set a password (rotate, or revoke of the credential). */
function replacedPassword(entry: JournalEntry): boolean {
  return (
    (entry.action === 'rotate' || entry.action === 'revoke') &&
    (typeof entry.outputs['fingerprint'] === 'string' || entry.outputs['credentialRevoked'] === true)
  );
}
