/**
 * One step, idempotent per (run, step): read the user by userName; if its journal holds the step,
 * answer `already_applied` with the outputs recorded then (finishing group changes left pending
 * by a crash); otherwise apply the effect with its journal entry. A write refused because the user
 * changed meanwhile is decided again from a fresh read (bounded).
 */
import { CustosError } from '../../core/errors.js';
import type { ApplyResult } from '../contract.js';
import { ATTEMPTS, assertManaged, conflict, type StepContext } from './scim-context.js';
import {
  changeGroups,
  create,
  replacePassword,
  retire,
  retiredOutputs,
  setActive,
  type EffectResult,
} from './scim-effects.js';
import { findEntry } from './scim-journal.js';
import { applyGroups, completeEntry } from './scim-journal-write.js';
import { findUser, type ScimUser } from './scim-users.js';

export async function applyStep(ctx: StepContext): Promise<ApplyResult> {
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const user = await findUser(ctx.client, ctx.userName);
    const result = await applyOnce(ctx, user);
    if (result !== 'conflict') return result;
  }
  throw conflict(ctx);
}

async function applyOnce(ctx: StepContext, user: ScimUser | undefined): Promise<EffectResult> {
  const { step } = ctx;
  if (user !== undefined) assertManaged(ctx, user);
  const entry = findEntry(user?.journal, step.runId, step.stepId);
  if (user !== undefined && entry !== undefined) {
    if (entry.action !== step.action) {
      throw new CustosError('CONNECTOR_REFUSED', `step ${step.stepId} was applied as a different effect`);
    }
    if (entry.pending === true && entry.rolledBackAt === undefined) {
      await applyGroups(ctx, user.id, step.action !== 'revoke');
      await completeEntry(ctx);
    }
    return { outcome: 'already_applied', outputs: entry.outputs };
  }
  if (user === undefined) {
    // Retired before (the journal went with the user), or never there: either way it is gone.
    if (step.action === 'retire') return { outcome: 'already_applied', outputs: retiredOutputs(ctx) };
    if (step.action === 'create') return create(ctx);
    throw new CustosError('TARGET_STATE_MISMATCH', `SCIM user ${ctx.userName} does not exist`);
  }
  switch (step.action) {
    case 'create':
      throw new CustosError('TARGET_STATE_MISMATCH', `SCIM user ${ctx.userName} already exists`);
    case 'rotate':
      return replacePassword(ctx, user);
    case 'revoke':
      return ctx.groups === undefined ? replacePassword(ctx, user) : changeGroups(ctx, user, false);
    case 'grant':
      return changeGroups(ctx, user, true);
    case 'suspend':
    case 'enable':
      return setActive(ctx, user, step.action === 'enable');
    case 'retire':
      return retire(ctx, user);
    default: {
      const action: string = step.action;
      throw new CustosError('CONNECTOR_REFUSED', `the SCIM connector does not support ${action}`);
    }
  }
}
