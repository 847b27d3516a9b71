/**
 * Which workflow governs a request: the one whose `governs` names the action, the identity kind
 * and the system, where naming the system by id is more specific than naming its type. Two
 * workflows governing the same thing at the same specificity are a WORKFLOW_OVERLAP.
 */
import type { Problem } from './problems.js';
import { isSystemType, type Action } from './vocabulary.js';
import type { ParsedWorkflow } from './workflow-check.js';

export interface GovernanceIndex {
  /** `${action}|${kind}|id:${systemId}` or `...|type:${systemType}` -> workflow names. */
  readonly entries: ReadonlyMap<string, readonly string[]>;
}

export interface Governing {
  /** The most specific governing workflow, if any. */
  readonly best: string | undefined;
  /** Every workflow that governs the request, most specific first. */
  readonly all: readonly string[];
}

export function buildGovernance(workflows: readonly ParsedWorkflow[], problems: Problem[]): GovernanceIndex {
  const entries = new Map<string, string[]>();
  for (const { workflow, source } of workflows) {
    const reported = new Set<string>();
    for (const action of workflow.governs.actions) {
      for (const kind of workflow.governs.kinds) {
        for (const system of workflow.governs.systems) {
          const key = governanceKey(action, kind, isSystemType(system) ? `type:${system}` : `id:${system}`);
          const names = entries.get(key) ?? [];
          const other = names.find((n) => n !== workflow.name);
          if (other !== undefined && !reported.has(other)) {
            reported.add(other);
            problems.push({
              file: source.file,
              line: source.lineOf(['governs']),
              code: 'WORKFLOW_OVERLAP',
              message: `workflow ${workflow.name} and workflow ${other} both govern ${action} of ${kind} on ${system}`,
            });
          }
          if (!names.includes(workflow.name)) names.push(workflow.name);
          entries.set(key, names);
        }
      }
    }
  }
  return { entries };
}

export function governing(
  index: GovernanceIndex,
  action: Action,
  kind: string,
  systemId: string,
  systemType: string,
): Governing {
  const byId = index.entries.get(governanceKey(action, kind, `id:${systemId}`)) ?? [];
  const byType = index.entries.get(governanceKey(action, kind, `type:${systemType}`)) ?? [];
  const all = [...byId, ...byType.filter((n) => !byId.includes(n))];
  return { best: all[0], all };
}

function governanceKey(action: string, kind: string, system: string): string {
  return `${action}|${kind}|${system}`;
}
