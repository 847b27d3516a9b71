/**
 * Route safety, checked across workflows, policies and the golden fixtures:
 *  - a route can never be satisfied by the requester alone or by one person approving twice:
 *    approvers are distinct people and never the requester, so for every set S of requirements
 *    the people in S's groups, less one (the requester may be among them), must number at least
 *    the approvals S needs (Hall's condition) -- otherwise ROUTE_UNSAFE;
 *  - an unordered route naming the same group twice is ROUTE_UNSAFE (say `count: 2` instead);
 *  - a high or critical route needs at least one human approval (ROUTE_NEEDS_HUMAN).
 * Group membership comes from the people declared in the bundle's golden fixtures.
 */
import type { GoldenSuite } from './golden-parse.js';
import type { Problem } from './problems.js';
import { PERSON_ID } from './vocabulary.js';
import type { ParsedWorkflow } from './workflow-check.js';
import type { ApprovalRequirement, WorkflowRoute } from './workflow-schema.js';

export type GroupPeople = ReadonlyMap<string, ReadonlySet<string>>;

/** group id -> the people (never services) the fixtures put in it. */
export function groupPeople(suites: readonly GoldenSuite[]): GroupPeople {
  const people = new Map<string, Set<string>>();
  for (const suite of suites) {
    for (const p of suite.fixtures.principals ?? []) {
      if (!PERSON_ID.test(p.id)) continue;
      for (const g of p.groups ?? []) people.set(g, (people.get(g) ?? new Set()).add(p.id));
    }
  }
  return people;
}

export function totalApprovals(route: WorkflowRoute): number {
  return route.mode === 'auto' ? 0 : route.requirements.reduce((n, r) => n + r.count, 0);
}

export function lintRoutes(
  workflows: readonly ParsedWorkflow[],
  people: GroupPeople,
  problems: Problem[],
): void {
  for (const { workflow, source } of workflows) {
    const at = (path: readonly PropertyKey[], code: Problem['code'], message: string): void => {
      problems.push({ file: source.file, line: source.lineOf(path), code, message });
    };
    for (const [name, route] of Object.entries(workflow.routes)) {
      const where = `route "${name}" of workflow ${workflow.name}`;
      if ((name === 'high' || name === 'critical') && totalApprovals(route) === 0) {
        at(
          ['routes', name],
          'ROUTE_NEEDS_HUMAN',
          `${where} is a ${name}-risk route and needs at least one human approval`,
        );
      }
      if (route.mode === 'auto') continue;
      if (totalApprovals(route) === 0) {
        at(['routes', name], 'ROUTE_UNSAFE', `${where} needs no approval: the requester alone could proceed`);
        continue;
      }
      const groups = route.requirements.map((r) => r.group);
      const twice = groups.find((g, i) => groups.indexOf(g) !== i);
      if (!route.ordered && twice !== undefined) {
        at(
          ['routes', name, 'requirements'],
          'ROUTE_UNSAFE',
          `${where} names ${twice} twice: one person could count for both; use count`,
        );
      }
      const short = hallViolation(route.requirements, people);
      if (short) at(['routes', name, 'requirements'], 'ROUTE_UNSAFE', `${where}: ${short}`);
    }
    if (workflow.exceptions) {
      const short = hallViolation([{ group: workflow.exceptions.approvers, count: 1 }], people);
      if (short)
        at(
          ['exceptions', 'approvers'],
          'ROUTE_UNSAFE',
          `exception approvers of workflow ${workflow.name}: ${short}`,
        );
    }
  }
}

/** A description of the first requirement set that distinct non-requester people cannot meet. */
function hallViolation(
  requirements: readonly ApprovalRequirement[],
  people: GroupPeople,
): string | undefined {
  const n = requirements.length; // at most 10 (workflow schema)
  for (let mask = 1; mask < 1 << n; mask++) {
    const chosen = requirements.filter((_, i) => (mask & (1 << i)) !== 0);
    const needed = chosen.reduce((s, r) => s + r.count, 0);
    const pool = new Set(chosen.flatMap((r) => [...(people.get(r.group) ?? [])]));
    if (pool.size - 1 < needed) {
      const groups = [...new Set(chosen.map((r) => r.group))].join(' + ');
      return (
        `needs ${needed} distinct approver(s) from ${groups} besides the requester, but the fixtures ` +
        `put only ${pool.size} person(s) there: the requester or one person approving twice would be needed`
      );
    }
  }
  return undefined;
}
