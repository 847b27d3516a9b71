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
import { requestedIdentities, type PlainRequest } from '../workflows/index.js';
import { planSteps, type PlannedStep } from './run-model.js';
import { targetOf } from './run-steps.js';

export async function checkSteps(
  inventory: Inventory,
  connectors: ReadonlyMap<string, Connector>,
  runId: string,
  request: PlainRequest,
): Promise<void> {
  const steps = await stepsOf(inventory, runId, request);
  for (const { step, planned } of steps) {
    const connector = connectors.get(step.system.type);
    if (connector === undefined) continue;
    try {
      connector.checkStep(step);
    } catch (e) {
      if (!isCustosError(e)) throw e;
      // Anything else (a system's connection settings that do not parse, say) is the system's
      // problem, not the request's: execution records it and alerts the owners, as before.
      if (e.code === 'INPUT_INVALID' || e.code === 'CONNECTOR_REFUSED') throw refusal(planned, step, e);
    }
  }
}

/** The steps the request would plan, as the executor will build them; none when one cannot be resolved. */
async function stepsOf(
  inventory: Inventory,
  runId: string,
  request: PlainRequest,
): Promise<{ readonly step: Step; readonly planned: PlannedStep }[]> {
  const { resource } = request;
  const identities =
    'new' in resource
      ? [
          {
            id: resource.new.name,
            kind: resource.new.kind,
            externalId: resource.new.name,
            system: resource.new.system,
          },
        ]
      : await Promise.all(requestedIdentities(request).map((id) => inventory.getIdentity(id)));
  if (identities.some((i) => i === undefined)) return [];
  const known = identities.map((i) => i!);
  const systems = await Promise.all(known.map((i) => inventory.getSystem(i.system)));
  if (systems.some((s) => s === undefined)) return [];
  const planned = planSteps(
    request,
    known.map((i) => ({ identity: i.id, system: i.system })),
  );
  return planned.map((p, n) => {
    const identity = known[n]!;
    return {
      planned: p,
      step: {
        runId,
        stepId: p.stepId,
        action: p.action,
        system: targetOf(systems[n]!),
        identity: { id: identity.id, kind: identity.kind, externalId: identity.externalId },
        // Through JSON, as the executor reads the stored step back.
        params: JSON.parse(JSON.stringify(p.params)) as Step['params'],
      },
    };
  });
}

function refusal(planned: PlannedStep, step: Step, cause: CustosError): CustosError {
  return new CustosError(
    'INPUT_INVALID',
    `${step.system.id} (${step.system.type}) cannot ${planned.action} ${planned.identityId} as asked: ${cause.message}`,
    {
      cause,
      details: {
        ...cause.details,
        field: 'request',
        system: step.system.id,
        identity: planned.identityId,
        action: planned.action,
        refusal: cause.code,
      },
    },
  );
}
