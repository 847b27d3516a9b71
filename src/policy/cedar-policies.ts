/**
 * Policy files (policies/*.cedar): split into policies, read their annotations, and report
 * syntax errors at their line. Every policy carries `@id("...")`; permits carry
 * `@risk("low|medium|high|critical")` and optionally `@route("...")` and `@workflow("...")`.
 */
import {
  checkParsePolicySet,
  policySetTextToParts,
  policyToJson,
  type ActionConstraint,
  type DetailedError,
  type EntityUidJson,
} from '@cedar-policy/cedar-wasm/nodejs';
import { guardCedarText } from './cedar-guard.js';
import { lineAt, lineAtUtf8, type Problem } from './problems.js';
import { systemTypeGuard } from './system-guard.js';
import { isAction, isRiskTier, NAME, type Action, type RiskTier } from './vocabulary.js';

export interface BundlePolicy {
  /** From `@id`: unique across the bundle, and the policy id Cedar reports. */
  readonly id: string;
  readonly file: string;
  /** Line of the policy's first annotation. */
  readonly line: number;
  readonly effect: 'permit' | 'forbid';
  readonly risk: RiskTier | undefined;
  readonly route: string | undefined;
  readonly workflow: string | undefined;
  /** The actions its scope names, or 'all' when unconstrained. */
  readonly actions: readonly Action[] | 'all';
  /** The resource systemType its first condition requires (system-guard.ts), if it requires one. */
  readonly systemType: string | undefined;
  /** The policy's source text, exactly as written. */
  readonly text: string;
}

export const POLICY_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

export function parsePolicyFile(file: string, text: string, problems: Problem[]): BundlePolicy[] {
  const tooComplex = guardCedarText(file, text, 'policies');
  if (tooComplex.length > 0) {
    problems.push(...tooComplex);
    return [];
  }
  const parsed = checkParsePolicySet({ staticPolicies: text });
  if (parsed.type === 'failure') {
    problems.push(...cedarProblems(file, text, parsed.errors, 'CEDAR_SYNTAX'));
    return [];
  }
  const parts = policySetTextToParts(text);
  if (parts.type === 'failure') {
    problems.push(...cedarProblems(file, text, parts.errors, 'CEDAR_SYNTAX'));
    return [];
  }
  for (const template of parts.policy_templates) {
    problems.push({
      file,
      line: lineAt(text, text.indexOf(template)),
      code: 'CEDAR_SYNTAX',
      message: 'policy templates (slots such as ?principal) are not supported in bundles',
    });
  }
  // policySetTextToParts sorts by generated id (policy0, policy1, policy10, ...): restore file order.
  const located = locate(text, parts.policies).sort((a, b) => a.offset - b.offset);
  const policies: BundlePolicy[] = [];
  for (const { policyText, offset } of located) {
    const policy = readPolicy(file, lineAt(text, offset), policyText, problems);
    if (policy) policies.push(policy);
  }
  return policies;
}

function locate(text: string, parts: readonly string[]): { policyText: string; offset: number }[] {
  const used = new Set<number>();
  return parts.map((policyText) => {
    let offset = text.indexOf(policyText);
    while (offset >= 0 && used.has(offset)) offset = text.indexOf(policyText, offset + 1);
    used.add(offset);
    return { policyText, offset: Math.max(offset, 0) };
  });
}

function readPolicy(file: string, line: number, text: string, problems: Problem[]): BundlePolicy | undefined {
  const json = policyToJson(text);
  if (json.type === 'failure') {
    problems.push(...cedarProblems(file, text, json.errors, 'CEDAR_SYNTAX').map((p) => ({ ...p, line })));
    return undefined;
  }
  const { effect, annotations = {} } = json.json;
  const note = (name: string): string | undefined => annotations[name] ?? undefined;
  const bad = (message: string): void => {
    problems.push({ file, line, code: 'POLICY_ANNOTATION_INVALID', message });
  };
  const id = note('id');
  if (!id) {
    problems.push({ file, line, code: 'POLICY_ID_MISSING', message: 'policy has no @id("...") annotation' });
    return undefined;
  }
  if (!POLICY_ID.test(id)) bad(`@id("${id}") must be letters, digits, ".", "_", ":" or "-"`);
  const risk = note('risk');
  if (effect === 'permit' && risk === undefined) {
    problems.push({ file, line, code: 'POLICY_RISK_MISSING', message: `permit ${id} has no @risk("...")` });
  } else if (risk !== undefined && !isRiskTier(risk)) {
    bad(`${id}: @risk("${risk}") must be low, medium, high or critical`);
  }
  const route = note('route');
  const workflow = note('workflow');
  if (effect === 'forbid' && (route !== undefined || workflow !== undefined)) {
    bad(`forbid ${id} cannot carry @route or @workflow: a forbid denies, it never routes`);
  }
  for (const [k, v] of [
    ['route', route],
    ['workflow', workflow],
  ] as const) {
    if (v !== undefined && !NAME.test(v)) bad(`${id}: @${k}("${v}") is not a valid name`);
  }
  return {
    id,
    file,
    line,
    effect,
    risk: risk !== undefined && isRiskTier(risk) ? risk : undefined,
    route,
    workflow,
    actions: scopeActions(json.json.action),
    systemType: systemTypeGuard(json.json.conditions),
    text,
  };
}

function scopeActions(scope: ActionConstraint): readonly Action[] | 'all' {
  if (scope.op === 'All') return 'all';
  const uids: EntityUidJson[] =
    'entities' in scope ? scope.entities : 'entity' in scope ? [scope.entity] : [];
  return uids.map((u) => ('__entity' in u ? u.__entity.id : u.id)).filter(isAction);
}

/** Cedar errors -> problems at the line of their first source location (byte offsets). */
export function cedarProblems(
  file: string,
  text: string,
  errors: readonly DetailedError[],
  code: 'CEDAR_SYNTAX' | 'CEDAR_TYPE' | 'CEDAR_SCHEMA_INVALID',
): Problem[] {
  return errors.map((e) => {
    const start = e.sourceLocations?.[0]?.start;
    const help = e.help ? ` (${e.help})` : '';
    return {
      file,
      line: start === undefined ? 1 : lineAtUtf8(text, start),
      code,
      message: `${e.message}${help}`,
    };
  });
}
