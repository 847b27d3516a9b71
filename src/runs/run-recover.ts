/**
 * What a process does at start, and what a host loop does on each pass: runs that a crash (or a
 * kill, or a lost machine) left in motion — approved, executing, verifying or rolling back —
 * continue from their last record. Runs at rest (awaiting approval, paused, finished) wait for a
 * person, as before the crash.
 *
 * Several processes may share the store: a run claimed by a live instance is left to it, and a run
 * is taken over only after winning it (run-claims.ts). At its start a process also continues runs
 * nobody claimed; a host loop's pass (`orphansOnly`) takes only the runs of instances that stopped
 * or died, so an approved run waiting for its requester to execute it is not taken from them.
 */
import type { Run } from './run-model.js';
import { listRuns, type RunEngineCoreDeps } from './run-engine.js';
import { executeRun } from './run-execute.js';
import { rollbackRun } from './run-rollback.js';
import type { ExecuteDeps } from './execute-context.js';
import type { RunState } from './state-machine.js';
import { claimRun, liveInstances, takeable } from './run-claims.js';

export const IN_MOTION: readonly RunState[] = ['approved', 'executing', 'verifying', 'rolling_back'];

/**
 * Continues every run in motion that this process may take, one at a time, and returns each as it
 * ends up. A run that cannot be continued does not stop the others; the first such error is thrown
 * once all were tried.
 */
export async function recoverRuns(
  deps: ExecuteDeps & RunEngineCoreDeps,
  options: { readonly orphansOnly?: boolean } = {},
): Promise<Run[]> {
  const runs: Run[] = [];
  for (const state of IN_MOTION) runs.push(...(await listRuns(deps, state)));
  const live = await liveInstances(deps.ledger.store.read, deps.now());
  const me = deps.instance.id;
  const done: Run[] = [];
  const errors: unknown[] = [];
  for (const found of runs) {
    if (!takeable(found, me, live, options.orphansOnly !== true)) continue;
    try {
      const run = await claimRun(deps.ledger, found, await deps.instance.claim());
      if (run === undefined) continue; // another process won it, or it moved on
      const from = { takenFrom: found.claimedBy };
      done.push(
        run.state === 'rolling_back'
          ? await rollbackRun(deps, run, { interrupted: true, ...from })
          : (await executeRun(deps, run, { interrupted: true, ...from })).run,
      );
    } catch (e) {
      errors.push(e);
    }
  }
  // The first error as it was (its code says what went wrong); the others were tried regardless.
  if (errors.length > 0) throw errors[0];
  return done;
}
