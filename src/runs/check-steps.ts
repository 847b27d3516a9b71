/**
 * A request's steps, checked by their connectors before the request is filed (Connector.checkStep).
 * A step that no connector could carry out as asked (params outside its grammar, an action it does
 * not support, a name it cannot use) refuses the request with INPUT_INVALID, and nothing is written:
 * neither a run nor a record. Without this, such a request would be filed, decided, perhaps
 * approved by people, and only then pause at execution.
 *
 * What cannot be resolved here (an unknown identity or system, a system type with no connector, a
 * system whose connection settings do not parse) is left to the decision and the executor, which
 * record why.
 */
import { CustosError, isCustosError } from '../core/errors.js';
import type { Connector, Step } from '../connectors/contract.js';
import type { Inventory } from '../inventory/index.js';
import type { PlainRequest } from '../workflows/index.js';
import { planSteps } from './run-model.js';
import { plannedSteps, targetsOf, type StoredStep } from './run-steps.js';

export async function checkSteps(
  inventory: Inventory,
  connectors: ReadonlyMap<string, Connector>,
  runId: string,
  request: PlainRequest,
): Promise<void> {
  for (const { step } of await stepsOf(inventory, runId, request)) {
    const connector = connectors.get(step.system.type);
    if (connector === undefined) continue;
    try {
      connector.checkStep(step);
    } catch (e) {
      if (!isCustosError(e)) throw e;
      // Anything else (a system's connection settings that do not parse, say) is the system's
      // problem, not the request's: execution records it and alerts the owners, as before.
      if (e.code === 'INPUT_INVALID' || e.code === 'CONNECTOR_REFUSED') throw refusal(step, e);
    }
  }
}

/** The steps the request would plan, as the executor builds them; none when one cannot be resolved. */
async function stepsOf(inventory: Inventory, runId: string, request: PlainRequest): Promise<StoredStep[]> {
  try {
    return await plannedSteps(inventory, runId, planSteps(request, await targetsOf(inventory, request)));
  } catch (e) {
    if (isCustosError(e, 'NOT_FOUND') || isCustosError(e, 'SYSTEM_UNKNOWN')) return [];
    throw e;
  }
}

function refusal(step: Step, cause: CustosError): CustosError {
  return new CustosError(
    'INPUT_INVALID',
    `${step.system.id} (${step.system.type}) cannot ${step.action} ${step.identity.id} as asked: ${cause.message}`,
    {
      cause,
      details: {
        ...cause.details,
        field: 'request',
        system: step.system.id,
        identity: step.identity.id,
        action: step.action,
        refusal: cause.code,
      },
    },
  );
}
