/**
 * Applying steps on the token issuer, idempotently per (run, step): the effect and its operation
 * row commit together, and a repeated step returns `already_applied` with the recorded outputs.
 *
 * applyMany applies the steps of many runs in ONE transaction: the operations, identities and
 * credentials of all of them are read with one statement each, every effect is computed against
 * what was read (an EffectRecorder keeps its writes), and the writes go in a few multi-row
 * statements. A step whose effect is refused fails alone, before anything is written. If the
 * transaction itself fails (another process created the same identity meanwhile, a lost
 * connection), it is rolled back and every step is applied alone, in a transaction of its own, so
 * one step's conflict never fails another. The caller (token-batch.ts) puts at most one step per
 * identity in a batch, so no step reads what another step of the batch writes.
 */
import type { JsonValue } from '../../core/canonical-json.js';
import { CustosError, isCustosError } from '../../core/errors.js';
import type { ApplyResult, Step } from '../contract.js';
import { credentialsOf, identitiesOf, operationsOf, pairKey } from './token-bulk.js';
import { applyEffect, type Effect, type EffectDeps } from './token-effects.js';
import { EffectRecorder, flushWrites } from './token-recorder.js';
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
    // Independent reads, issued together (one round trip on a pipelining connection).
    const [done, identity] = await Promise.all([
      store.operation(step.runId, step.stepId),
      store.identity(step.system.id, step.identity.id),
    ]);
    if (done !== undefined) return repeated(done, step);
    const effect = await applyEffect({ ...deps, store }, step, now, identity);
    await store.insertOperation(operationOf(step, effect), now.toISOString());
    return resultOf(effect);
  });
}

/** Many steps (at most one per identity) in one transaction; each settles alone. */
export async function applyMany(
  deps: ApplyDeps,
  steps: readonly Step[],
): Promise<PromiseSettledResult<ApplyResult>[]> {
  if (steps.length === 1) return Promise.allSettled([applyOne(deps, steps[0]!)]);
  const { store } = deps;
  const now = deps.now();
  try {
    return await store.inTransaction(async () => {
      const conn = store.conn;
      const identityKeys = steps.map((s) => [s.system.id, s.identity.id] as const);
      const ops = await operationsOf(
        conn,
        steps.map((s) => [s.runId, s.stepId] as const),
      );
      const identities = await identitiesOf(conn, identityKeys);
      // A create reads no credentials: only the steps that change an existing identity need them.
      const creds = steps.some((s) => s.action !== 'create')
        ? await credentialsOf(conn, identityKeys)
        : new Map<string, never[]>();
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
      // An error that is not a refusal of one step (a fault) is handled as the single path would.
      const fault = settled.find((r) => r.status === 'rejected' && !isCustosError(r.reason));
      if (fault !== undefined) throw (fault as PromiseRejectedResult).reason;
      await flushWrites(conn, recorders);
      return settled;
    });
  } catch {
    // The shared transaction failed and was rolled back: nothing of it was written.
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
