/**
 * Applying steps on the token issuer, idempotently per (run, step): the effect and its operation
 * row commit together, and a repeated step returns `already_applied` with the recorded outputs.
 *
 * applyMany applies the steps of many runs together: the operations, identities and credentials of
 * all of them are read with one statement each, every effect is computed against what was read (an
 * EffectRecorder keeps its writes), and the writes commit atomically in a few multi-row statements
 * (on PostgreSQL, inserts alone in one). A step whose effect is refused fails alone, before anything
 * is written. If the writes fail (another process created the same identity meanwhile, a lost
 * connection), none of them is written and every step is applied alone, in a transaction of its
 * own, so one step's conflict never fails another. The caller (token-batch.ts) puts at most one step per
 * identity in a batch, so no step reads what another step of the batch writes.
 */
import type { JsonValue } from '../../core/canonical-json.js';
import { CustosError, isCustosError } from '../../core/errors.js';
import type { ApplyResult, Step } from '../contract.js';
import { credentialsOf, identitiesOf, operationsOf } from './token-bulk.js';
import { pairKey } from '../../store/multi-row.js';
import { applyEffect, type Effect, type EffectDeps } from './token-effects.js';
import { EffectRecorder, flushWrites, insertsAsOne } from './token-recorder.js';
import type { OperationRow, TokenStore } from './token-store.js';

export interface ApplyDeps extends Omit<EffectDeps, 'store'> {
  readonly store: TokenStore;
  readonly now: () => Date;
}

/** One step in one transaction (the caller holds the connection: inside TokenStore.serial). */
export function applyOne(deps: ApplyDeps, step: Step): Promise<ApplyResult> {
  const { store } = deps;
  const now = deps.now();
  return store.inTransaction(async () => {
    // One after another: the connection runs one query at a time (and pg 9 refuses a second).
    const done = await store.operation(step.runId, step.stepId);
    const identity = await store.identity(step.system.id, step.identity.id);
    if (done !== undefined) return repeated(done, step);
    const effect = await applyEffect({ ...deps, store }, step, now, identity);
    await store.insertOperation(operationOf(step, effect), now.toISOString());
    return resultOf(effect);
  });
}

/**
 * Many steps (at most one per identity) together; each settles alone. SQLite: one transaction.
 * PostgreSQL: the reads without a transaction (as TokenStore.reading), then the writes as one statement when they are only
 * inserts (insertsAsOne: the common case of creating identities), else in a transaction of their own.
 * Either way every write of the batch commits atomically, and a write that conflicts with what another
 * process did since the reads (the same identity or step) fails the whole batch, which is then
 * applied step by step.
 */
export async function applyMany(
  deps: ApplyDeps,
  steps: readonly Step[],
): Promise<PromiseSettledResult<ApplyResult>[]> {
  if (steps.length === 1) return Promise.allSettled([applyOne(deps, steps[0]!)]);
  const { store } = deps;
  const now = deps.now();
  try {
    if (store.conn.dialect !== 'postgres') {
      return await store.inTransaction(async () => {
        const { settled, recorders } = await effectsOf(deps, steps, now);
        await flushWrites(store.conn, recorders);
        return settled;
      });
    }
    // The reads need no transaction here (TokenStore.reading), and any failure lands in the catch.
    const { settled, recorders } = await effectsOf(deps, steps, now);
    if (recorders.length === 0) return settled; // every step refused or applied before: nothing to write
    const one = insertsAsOne(recorders);
    if (one === undefined) await store.inTransaction(() => flushWrites(store.conn, recorders));
    else await store.conn.run(one.sql, one.params);
    return settled;
  } catch {
    // The batch's writes failed and none of them was written (one statement, or a rolled-back transaction).
    const alone: PromiseSettledResult<ApplyResult>[] = [];
    for (const step of steps) {
      try {
        alone.push({ status: 'fulfilled', value: await applyOne(deps, step) });
      } catch (e) {
        alone.push({ status: 'rejected', reason: e });
      }
    }
    return alone;
  }
}

/**
 * Reads what the steps need with one statement per table, and computes every effect against it
 * (the writes are kept in recorders). An error that is not a refusal of one step (a fault) is thrown,
 * as the single path would.
 */
async function effectsOf(
  deps: ApplyDeps,
  steps: readonly Step[],
  now: Date,
): Promise<{ settled: PromiseSettledResult<ApplyResult>[]; recorders: EffectRecorder[] }> {
  const conn = deps.store.conn;
  const identityKeys = steps.map((s) => [s.system.id, s.identity.id] as const);
  // Issued together: the connection sends them back to back. A create reads no credentials: only
  // the steps that change an existing identity need them.
  const [ops, identities, creds] = await Promise.all([
    operationsOf(
      conn,
      steps.map((s) => [s.runId, s.stepId] as const),
    ),
    identitiesOf(conn, identityKeys),
    steps.some((s) => s.action !== 'create')
      ? credentialsOf(conn, identityKeys)
      : new Map<string, readonly never[]>(),
  ]);
  const recorders: EffectRecorder[] = [];
  const settled = await Promise.allSettled(
    steps.map(async (step) => {
      const done = ops.get(pairKey(step.runId, step.stepId));
      if (done !== undefined) return repeated(done, step);
      const key = pairKey(step.system.id, step.identity.id);
      const identity = identities.get(key);
      const recorder = new EffectRecorder(identity, creds.get(key) ?? []);
      const effect = await applyEffect({ ...deps, store: recorder }, step, now, identity);
      recorder.insertOperation(operationOf(step, effect), now.toISOString());
      recorders.push(recorder);
      return resultOf(effect);
    }),
  );
  const fault = settled.find((r) => r.status === 'rejected' && !isCustosError(r.reason));
  if (fault !== undefined) throw (fault as PromiseRejectedResult).reason;
  return { settled, recorders };
}

/** A step applied before: its recorded outputs, unless it was recorded as another effect. */
function repeated(done: OperationRow, step: Step): ApplyResult {
  if (done.action !== step.action || done.identity_id !== step.identity.id) {
    throw new CustosError('CONNECTOR_REFUSED', `step ${step.stepId} was applied as a different effect`);
  }
  return { outcome: 'already_applied', outputs: JSON.parse(done.outputs) as Record<string, JsonValue> };
}

function operationOf(step: Step, effect: Effect): Omit<OperationRow, 'rolled_back_at'> {
  return {
    run_id: step.runId,
    step_id: step.stepId,
    action: step.action,
    system_id: step.system.id,
    identity_id: step.identity.id,
    credential_id: effect.credentialId,
    outputs: JSON.stringify(effect.outputs),
  };
}

function resultOf(effect: Effect): ApplyResult {
  const result: ApplyResult = { outcome: 'applied', outputs: effect.outputs };
  if (effect.secret === undefined) return result;
  const artifact = { hash: effect.secret.fingerprint, version: effect.credentialId ?? '' };
  return { ...result, secret: effect.secret, artifact };
}
