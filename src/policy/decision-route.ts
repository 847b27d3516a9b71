/**
 * From the determining permits of an allow to the risk tier and the route: the tier is the highest
 * @risk among them; the route is the @route (default: the tier's name) of the highest-risk permit,
 * in its @workflow or else the most specific workflow governing the request. Among equally risky
 * permits the one whose route needs the most approvals wins (then the smaller policy id), so ties
 * always resolve towards more scrutiny.
 */
import type { DecisionRoute } from './decision-types.js';
import type { Governing } from './governance.js';
import { totalApprovals } from './lint-routes.js';
import type { LoadedBundle } from './load-bundle.js';
import { riskRank, type RiskTier } from './vocabulary.js';

export interface Routed {
  readonly riskTier: RiskTier;
  readonly route: DecisionRoute;
  readonly workflow: string;
}

/** The tier and route for these permit ids, or why none can be given (the caller denies). */
export function routeDecision(
  bundle: LoadedBundle,
  permitIds: readonly string[],
  gov: Governing,
): Routed | string {
  const permits = permitIds.map((id) => bundle.policyById.get(id));
  let tier: RiskTier | undefined;
  for (const p of permits) {
    if (p?.risk === undefined) return `permit ${p?.id ?? '?'} has no risk tier`;
    if (tier === undefined || riskRank(p.risk) > riskRank(tier)) tier = p.risk;
  }
  if (tier === undefined) return 'no permit matched';
  let best: Routed | undefined;
  let bestApprovals = -1;
  for (const p of permits) {
    if (!p || p.risk !== tier) continue;
    const workflowName = p.workflow ?? gov.best;
    if (workflowName === undefined || !gov.all.includes(workflowName)) {
      return `permit ${p.id}: no workflow governs this request${p.workflow ? ` as ${p.workflow}` : ''}`;
    }
    const routeName = p.route ?? tier;
    const route = bundle.workflows.get(workflowName)?.routes[routeName];
    if (!route) return `permit ${p.id}: workflow ${workflowName} has no route "${routeName}"`;
    const approvals = totalApprovals(route);
    if (approvals > bestApprovals) {
      bestApprovals = approvals;
      best = {
        riskTier: tier,
        workflow: workflowName,
        route:
          route.mode === 'auto'
            ? {
                name: routeName,
                mode: 'auto',
                requirements: [],
                ordered: false,
                expiresAfter: undefined,
                remindAfter: undefined,
                escalateAfter: undefined,
              }
            : { name: routeName, ...route },
      };
    }
  }
  return best ?? 'no permit matched';
}
