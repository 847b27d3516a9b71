/**
 * What a process does at start: every run that a crash (or a kill, or a lost machine) left in
 * motion — approved, executing, verifying or rolling back — continues from its last record. Runs
 * at rest (awaiting approval, paused, finished) wait for a person, as before the crash.
 *
 * One executor per store is assumed: a run another live process is executing at this moment would
 * be continued twice. That cannot apply an effect twice (connectors are idempotent per run and
 * step, and every step and run transition moves only from the state its writer read), but the
 * loser's call fails with RUN_TRANSITION_INVALID.
 */
import type { Run } from './run-model.js';
import { listRuns, type RunEngineCoreDeps } from './run-engine.js';
import { executeRun } from './run-execute.js';
import { rollbackRun } from './run-rollback.js';
import type { ExecuteDeps } from './execute-context.js';
import type { RunState } from './state-machine.js';

export const IN_MOTION: readonly RunState[] = ['approved', 'executing', 'verifying', 'rolling_back'];

/**
 * Continues every run in motion, one at a time, and returns each as it ends up. A run that cannot
 * be continued does not stop the others; the first such error is thrown once all were tried.
 */
export async function recoverRuns(deps: ExecuteDeps & RunEngineCoreDeps): Promise<Run[]> {
  const runs: Run[] = [];
  for (const state of IN_MOTION) runs.push(...(await listRuns(deps, state)));
  const done: Run[] = [];
  const errors: unknown[] = [];
  for (const run of runs) {
    try {
      done.push(
        run.state === 'rolling_back'
          ? await rollbackRun(deps, run, { interrupted: true })
          : (await executeRun(deps, run, { interrupted: true })).run,
      );
    } catch (e) {
      errors.push(e);
    }
  }
  // The first error as it was (its code says what went wrong); the others were tried regardless.
  if (errors.length > 0) throw errors[0];
  return done;
}
