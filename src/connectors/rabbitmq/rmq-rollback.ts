/**
 * Restores a step's prior state by compensation (rmq-restore.ts) and records in the step's journal
 * entry that it was rolled back and to what, for verify to compare against. Restoring is idempotent:
 * a rollback interrupted half-way runs again from the start and ends in the same state.
 */
import type { FingerprintKey } from '../../ledger/secrets.js';
import type { PriorState, Step } from '../contract.js';
import type { ManagementApi } from './rmq-http.js';
import { assertSameEffect, readJournal, writeJournal, type JournalEntry } from './rmq-journal.js';
import { runOps } from './rmq-ops.js';
import { parsePrior } from './rmq-prior.js';
import { compensation } from './rmq-restore.js';
import { isManagedBy, mismatch, readUser } from './rmq-user.js';

export async function rollbackStep(
  api: ManagementApi,
  step: Step,
  user: string,
  input: PriorState,
  key: FingerprintKey,
  now: Date,
): Promise<void> {
  const prior = parsePrior(input);
  const entry = await readJournal(api, step);
  if (entry !== undefined) assertSameEffect(entry, step, user);
  const current = await readUser(api, user);
  const ops = compensation(step, prior, current, entry, key);
  if (ops.length > 0 && current !== undefined && !isManagedBy(current, step)) {
    throw mismatch(`user ${user} is not managed by Custos for ${step.system.id}/${step.identity.id}`);
  }
  await runOps(api, user, ops);
  const base = entry ?? unapplied(step, user, now);
  await writeJournal(api, step, { ...base, status: 'rolled_back', restoredPrior: prior });
}

/** The entry of a step that never reached the broker, so that verify still finds the rollback. */
function unapplied(step: Step, user: string, now: Date): JournalEntry {
  return {
    v: 1,
    system: step.system.id,
    identity: step.identity.id,
    user,
    runId: step.runId,
    stepId: step.stepId,
    action: step.action,
    status: 'rolled_back',
    ops: [],
    outputs: {},
    priorHash: null,
    priorAlgorithm: null,
    setHash: null,
    endedAt: null,
    recordedAt: now.toISOString(),
    restoredPrior: null,
  };
}
