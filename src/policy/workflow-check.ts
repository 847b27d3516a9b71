/**
 * Parse one workflow file and check the rules that need only that file: all four owners, an
 * escalation path, a rollback mode and delegated authority for every governed action, the
 * exception and break-glass limits where those actions are governed, and sane route timings.
 */
import { durationSeconds } from './duration.js';
import type { Problem, ProblemCode } from './problems.js';
import { ACTIONS } from './vocabulary.js';
import { WorkflowSchema, type Workflow } from './workflow-schema.js';
import { parseYaml, zodProblems, type YamlPath, type YamlSource } from './yaml-source.js';

export interface ParsedWorkflow {
  readonly workflow: Workflow;
  readonly source: YamlSource;
}

export function parseWorkflow(
  file: string,
  bytes: Uint8Array,
  problems: Problem[],
): ParsedWorkflow | undefined {
  const source = parseYaml(file, bytes, problems);
  if (!source) return undefined;
  const result = WorkflowSchema.safeParse(source.value);
  if (!result.success) {
    problems.push(...zodProblems(source, result.error, classify));
    return undefined;
  }
  problems.push(...checkWorkflow(result.data, source));
  return { workflow: result.data, source };
}

function classify(path: YamlPath, missing: boolean): ProblemCode {
  const [top] = path;
  if (top === 'owners' && (missing || path.length === 1)) return 'OWNERS_MISSING';
  if (top === 'escalation' && path.length === 1) return 'ESCALATION_MISSING';
  if (top === 'rollback' && missing) return 'ROLLBACK_MISSING';
  return 'WORKFLOW_INVALID';
}

function checkWorkflow(w: Workflow, source: YamlSource): Problem[] {
  const problems: Problem[] = [];
  const at = (path: YamlPath, code: ProblemCode, message: string): void => {
    problems.push({ file: source.file, line: source.lineOf(path), code, message });
  };
  const governed = new Set(w.governs.actions);
  for (const action of governed) {
    if (w.rollback[action] === undefined) {
      at(['rollback'], 'ROLLBACK_MISSING', `governed action "${action}" has no rollback mode`);
    }
    if (w.authority[action] === undefined) {
      at(
        ['authority'],
        'WORKFLOW_INVALID',
        `governed action "${action}" has no delegated authority (use [] for none)`,
      );
    }
  }
  for (const action of ACTIONS) {
    for (const field of ['rollback', 'authority'] as const) {
      if (w[field][action] !== undefined && !governed.has(action)) {
        at(
          [field, action],
          'WORKFLOW_INVALID',
          `${field}.${action}: the workflow does not govern "${action}"`,
        );
      }
    }
  }
  if (governed.has('exception') && !w.exceptions) {
    at(['governs', 'actions'], 'WORKFLOW_INVALID', 'governs "exception" but sets no exceptions limits');
  }
  if (governed.has('break_glass') && !w.breakGlass) {
    at(['governs', 'actions'], 'WORKFLOW_INVALID', 'governs "break_glass" but sets no breakGlass limits');
  }
  for (const [name, route] of Object.entries(w.routes)) {
    if (route.mode !== 'approvals') continue;
    const expires = durationSeconds(route.expiresAfter) ?? 0;
    if ((durationSeconds(route.remindAfter) ?? 0) >= expires) {
      at(
        ['routes', name, 'remindAfter'],
        'WORKFLOW_INVALID',
        `route "${name}": remindAfter must be before expiresAfter`,
      );
    }
    if ((durationSeconds(route.escalateAfter) ?? 0) >= expires) {
      at(
        ['routes', name, 'escalateAfter'],
        'WORKFLOW_INVALID',
        `route "${name}": escalateAfter must be before expiresAfter`,
      );
    }
  }
  return problems;
}

/** Workflow names are unique across the bundle (policies and decisions refer to them by name). */
export function checkWorkflowNames(workflows: readonly ParsedWorkflow[], problems: Problem[]): void {
  const byName = new Map<string, ParsedWorkflow>();
  for (const w of workflows) {
    const other = byName.get(w.workflow.name);
    if (other) {
      problems.push({
        file: w.source.file,
        line: w.source.lineOf(['name']),
        code: 'WORKFLOW_INVALID',
        message: `workflow name ${w.workflow.name} is also used by ${other.source.file}`,
      });
    }
    byName.set(w.workflow.name, w);
  }
}
