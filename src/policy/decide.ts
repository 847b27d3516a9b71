/**
 * The decision function: request -> allowed or denied, with reasons, risk tier, the structured
 * approvals required, the determining policy ids and the bundle hash. Pure: the same bundle and
 * request always give the same decision. Forbid wins (Cedar semantics), and anything unexpected
 * (an unknown principal, a policy that errors, a permit with no route) denies: fail closed.
 */
import type { AuthorizationAnswer } from '@cedar-policy/cedar-wasm/nodejs';
import { CustosError } from '../core/errors.js';
import { authorize, isWasmTrap, type CedarRequest, type PreparedPolicies } from './cedar-engine.js';
import { resolveRequest, type ResolvedRequest } from './decision-resource.js';
import type { Decision, DecisionRequest } from './decision-types.js';
import { governing, type Governing } from './governance.js';
import type { LoadedBundle } from './load-bundle.js';
import { routeDecision } from './decision-route.js';
import { isAction } from './vocabulary.js';

/** Evaluates one Cedar request against a bundle: on this thread (authorize) or another (cedar-thread.ts). */
export type CedarEvaluator = (
  bundle: PreparedPolicies,
  namespace: string,
  request: CedarRequest,
) => Promise<AuthorizationAnswer>;

export function decide(bundle: LoadedBundle, request: DecisionRequest): Decision {
  const prepared = prepare(bundle, request);
  if ('allowed' in prepared) return prepared;
  let answer: AuthorizationAnswer;
  try {
    answer = authorize(bundle, bundle.manifest.namespace, prepared.call);
  } catch (err) {
    return refused(bundle, prepared, err);
  }
  return conclude(bundle, prepared, answer);
}

/**
 * decide(), with the Cedar evaluation done by `evaluate` (another thread: cedar-thread.ts). The same
 * request and bundle give the same decision as decide(): only where Cedar runs differs. An evaluator
 * that fails (a CustosError) rejects: that is no decision, and nothing may be recorded as one.
 */
export async function decideWith(
  bundle: LoadedBundle,
  request: DecisionRequest,
  evaluate: CedarEvaluator,
): Promise<Decision> {
  const prepared = prepare(bundle, request);
  if ('allowed' in prepared) return prepared;
  let answer: AuthorizationAnswer;
  try {
    answer = await evaluate(bundle, bundle.manifest.namespace, prepared.call);
  } catch (err) {
    // The evaluator could not evaluate (its thread stopped): no decision was made, none is recorded.
    if (err instanceof CustosError) throw err;
    return refused(bundle, prepared, err);
  }
  return conclude(bundle, prepared, answer);
}

/** A request ready for Cedar, and what its decision needs besides Cedar's answer. */
interface Prepared {
  readonly call: CedarRequest;
  readonly gov: Governing;
}

function denial(
  bundle: LoadedBundle,
  reasons: readonly string[],
  workflow?: string,
  policies: readonly string[] = [],
): Decision {
  return {
    allowed: false,
    reasons,
    riskTier: undefined,
    route: undefined,
    determiningPolicies: policies,
    workflow,
    bundleHash: bundle.hash,
  };
}

/** The Cedar request of a decision, or the denial of a request Cedar need not see. */
function prepare(bundle: LoadedBundle, request: DecisionRequest): Prepared | Decision {
  const namespace = bundle.manifest.namespace;
  if (!isAction(request.action)) return denial(bundle, [`unknown action ${JSON.stringify(request.action)}`]);
  const resolved = resolveRequest(request.principal, request.resource, request.entities, namespace);
  if (typeof resolved === 'string') return denial(bundle, [resolved]);
  const gov = governing(
    bundle.governance,
    request.action,
    resolved.kind,
    resolved.systemId,
    resolved.systemType,
  );
  return { call: cedarRequest(request, resolved, gov), gov };
}

/** Cedar threw: a wasm trap is a fault to raise; anything else is a request it refused to read. */
function refused(bundle: LoadedBundle, prepared: Prepared, err: unknown): Decision {
  // A wasm trap means the Cedar module itself is broken: not a decision to make, a fault to raise.
  if (isWasmTrap(err)) throw err;
  // Otherwise Cedar refused to read the request (e.g. values nested past its recursion limit).
  return denial(
    bundle,
    [`request rejected: ${err instanceof Error ? err.message : String(err)}`],
    prepared.gov.best,
  );
}

function conclude(bundle: LoadedBundle, { gov }: Prepared, answer: AuthorizationAnswer): Decision {
  if (answer.type === 'failure') {
    return denial(
      bundle,
      answer.errors.map((e) => `request rejected: ${e.message}`),
      gov.best,
    );
  }
  const { decision, diagnostics } = answer.response;
  if (diagnostics.errors.length > 0) {
    const reasons = diagnostics.errors.map(
      (e) => `policy ${e.policyId} failed to evaluate: ${e.error.message}`,
    );
    return denial(bundle, reasons, gov.best);
  }
  const ids = [...diagnostics.reason].sort();
  if (decision === 'deny') return denial(bundle, ids.length > 0 ? ids : ['no permit matched'], gov.best, ids);
  const routed = routeDecision(bundle, ids, gov);
  if (typeof routed === 'string') return denial(bundle, [routed], gov.best);
  return { allowed: true, reasons: ids, ...routed, determiningPolicies: ids, bundleHash: bundle.hash };
}

function cedarRequest(request: DecisionRequest, resolved: ResolvedRequest, gov: Governing): CedarRequest {
  const context = request.context ?? {};
  return {
    principal: resolved.principal,
    action: request.action,
    resource: resolved.resource,
    context: {
      entitlements: [],
      durationMinutes: 0,
      justification: '',
      ...context,
      workflow: gov.best ?? '',
      environment: resolved.environment,
    },
    entities: resolved.entities,
  };
}
