/**
 * Policies against workflows: every @id is unique; every permit routes somewhere that exists
 * (its @route, or the route named after its @risk tier, in its @workflow or in every workflow
 * governing its actions); a high or critical permit never lands on a route without a human
 * (except break-glass, granted at once by design: its human control is the post-hoc review).
 */
import type { BundlePolicy } from './cedar-policies.js';
import type { Problem } from './problems.js';
import { totalApprovals } from './lint-routes.js';
import { ACTIONS, riskRank, type Action } from './vocabulary.js';
import type { ParsedWorkflow } from './workflow-check.js';

export function lintPolicies(
  policies: readonly BundlePolicy[],
  workflows: readonly ParsedWorkflow[],
  problems: Problem[],
): void {
  const seen = new Map<string, BundlePolicy>();
  const byName = new Map(workflows.map((w) => [w.workflow.name, w.workflow]));
  for (const policy of policies) {
    const at = (code: Problem['code'], message: string): void => {
      problems.push({ file: policy.file, line: policy.line, code, message });
    };
    const first = seen.get(policy.id);
    if (first) at('POLICY_ID_DUPLICATE', `@id("${policy.id}") is also used at ${first.file}:${first.line}`);
    seen.set(policy.id, policy);
    if (policy.effect !== 'permit' || policy.risk === undefined) continue;
    const actions: readonly Action[] = policy.actions === 'all' ? ACTIONS : policy.actions;
    let targets = workflows
      .map((w) => w.workflow)
      .filter((w) => actions.some((a) => w.governs.actions.includes(a)));
    if (policy.workflow !== undefined) {
      const named = byName.get(policy.workflow);
      if (!named) {
        at(
          'POLICY_WORKFLOW_UNKNOWN',
          `${policy.id}: @workflow("${policy.workflow}") names no workflow in the bundle`,
        );
        continue;
      }
      targets = targets.filter((w) => w === named);
      if (targets.length === 0) {
        at('POLICY_UNGOVERNED', `${policy.id}: workflow ${named.name} governs none of ${actions.join(', ')}`);
        continue;
      }
    }
    if (targets.length === 0) {
      at('POLICY_UNGOVERNED', `${policy.id}: no workflow governs ${actions.join(', ')}`);
      continue;
    }
    const routeName = policy.route ?? policy.risk;
    for (const workflow of targets) {
      const route = workflow.routes[routeName];
      if (!route) {
        at('ROUTE_UNKNOWN', `${policy.id}: workflow ${workflow.name} has no route "${routeName}"`);
      } else if (
        riskRank(policy.risk) >= riskRank('high') &&
        totalApprovals(route) === 0 &&
        // Break-glass is granted at once by design; its human control is the mandatory post-hoc review.
        !(actions.every((a) => a === 'break_glass') && workflow.breakGlass !== undefined)
      ) {
        at(
          'ROUTE_NEEDS_HUMAN',
          `${policy.id} is @risk("${policy.risk}") but route "${routeName}" of workflow ${workflow.name} needs no human approval`,
        );
      }
    }
  }
}
