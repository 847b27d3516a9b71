/**
 * The decision function: request -> allowed or denied, with reasons, risk tier, the structured
 * approvals required, the determining policy ids and the bundle hash. Pure: the same bundle and
 * request always give the same decision. Forbid wins (Cedar semantics), and anything unexpected
 * (an unknown principal, a policy that errors, a permit with no route) denies: fail closed.
 */
import type { AuthorizationAnswer } from '@cedar-policy/cedar-wasm/nodejs';
import { authorize, isWasmTrap } from './cedar-engine.js';
import { resolveRequest, type ResolvedRequest } from './decision-resource.js';
import type { Decision, DecisionRequest } from './decision-types.js';
import { governing, type Governing } from './governance.js';
import type { LoadedBundle } from './load-bundle.js';
import { routeDecision } from './decision-route.js';
import { isAction } from './vocabulary.js';

export function decide(bundle: LoadedBundle, request: DecisionRequest): Decision {
  const namespace = bundle.manifest.namespace;
  const deny = (
    reasons: readonly string[],
    workflow?: string,
    policies: readonly string[] = [],
  ): Decision => ({
    allowed: false,
    reasons,
    riskTier: undefined,
    route: undefined,
    determiningPolicies: policies,
    workflow,
    bundleHash: bundle.hash,
  });
  if (!isAction(request.action)) return deny([`unknown action ${JSON.stringify(request.action)}`]);
  const resolved = resolveRequest(request.principal, request.resource, request.entities, namespace);
  if (typeof resolved === 'string') return deny([resolved]);
  const gov = governing(
    bundle.governance,
    request.action,
    resolved.kind,
    resolved.systemId,
    resolved.systemType,
  );
  let answer: AuthorizationAnswer;
  try {
    answer = evaluate(bundle, request, resolved, gov);
  } catch (err) {
    // A wasm trap means the Cedar module itself is broken: not a decision to make, a fault to raise.
    if (isWasmTrap(err)) throw err;
    // Otherwise Cedar refused to read the request (e.g. values nested past its recursion limit).
    return deny([`request rejected: ${err instanceof Error ? err.message : String(err)}`], gov.best);
  }
  if (answer.type === 'failure') {
    return deny(
      answer.errors.map((e) => `request rejected: ${e.message}`),
      gov.best,
    );
  }
  const { decision, diagnostics } = answer.response;
  if (diagnostics.errors.length > 0) {
    const reasons = diagnostics.errors.map(
      (e) => `policy ${e.policyId} failed to evaluate: ${e.error.message}`,
    );
    return deny(reasons, gov.best);
  }
  const ids = [...diagnostics.reason].sort();
  if (decision === 'deny') return deny(ids.length > 0 ? ids : ['no permit matched'], gov.best, ids);
  const routed = routeDecision(bundle, ids, gov);
  if (typeof routed === 'string') return deny([routed], gov.best);
  return { allowed: true, reasons: ids, ...routed, determiningPolicies: ids, bundleHash: bundle.hash };
}

function evaluate(
  bundle: LoadedBundle,
  request: DecisionRequest,
  resolved: ResolvedRequest,
  gov: Governing,
): AuthorizationAnswer {
  const context = request.context ?? {};
  return authorize(bundle, bundle.manifest.namespace, {
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
  });
}
