/**
 * Verification of a run's applied steps: each connector reads its target back and, where it can,
 * logs in with the issued credential (held in memory for this call only). Every step is checked even
 * after one fails, so the record shows each system's result; the first failure is the pause.
 */
import type { JsonValue } from '../core/canonical-json.js';
import type { IssuedSecret } from '../connectors/contract.js';
import { RunAuthority, bounded, failureOf, isConcurrent, type ExecuteDeps } from './execute-context.js';
import type { StoredStep } from './run-steps.js';
import { connectorFor } from './step-runner.js';
import type { Pause } from './undelivered.js';

export async function verifySteps(
  deps: ExecuteDeps,
  steps: readonly StoredStep[],
  authority: RunAuthority,
  held: ReadonlyMap<string, IssuedSecret>,
): Promise<{ checks: JsonValue[]; pause: Pause | undefined }> {
  const checks: JsonValue[] = [];
  let pause: Pause | undefined;
  for (const stored of steps) {
    const { step } = stored;
    try {
      const connector = connectorFor(deps, stored);
      const secret = held.get(step.stepId)?.value;
      const result = await bounded(
        deps,
        'verifying',
        step,
        connector.verify(step, await authority.token(), secret),
      );
      deps.crashPoint?.('verify:after');
      checks.push({
        step: step.stepId,
        system: step.system.id,
        ok: result.ok,
        checks: result.checks.map((c) => ({ ...c })),
      });
      if (!result.ok)
        pause ??= { reason: `verification failed on ${step.system.id}`, retryable: false, step: step.stepId };
    } catch (e) {
      if (isConcurrent(e)) throw e;
      pause ??= failureOf(e, step.stepId);
    }
  }
  return { checks, pause };
}
