/**
 * The bundle's Cedar schema (schema.cedarschema): it must parse, declare the bundle namespace with
 * the entity types and actions Custos builds requests from, and every policy must validate
 * against it in strict mode.
 */
import {
  schemaToJsonWithResolvedTypes,
  validate,
  type NamespaceDefinition,
  type Type,
} from '@cedar-policy/cedar-wasm/nodejs';
import { guardCedarText } from './cedar-guard.js';
import { cedarProblems, type BundlePolicy } from './cedar-policies.js';
import { lineAtUtf8, type Problem } from './problems.js';
import { ACTIONS } from './vocabulary.js';

export const SCHEMA_FILE = 'schema.cedarschema';

/** Attributes decide() always provides; the schema must declare them. */
const REQUIRED_ATTRIBUTES: Readonly<Record<string, readonly string[]>> = {
  Person: [],
  Service: [],
  Group: [],
  System: ['type', 'environment'],
  Identity: ['kind', 'systemType', 'environment', 'entitlements', 'tags'],
};
const CONTEXT_ATTRIBUTES = ['workflow', 'environment', 'entitlements', 'durationMinutes', 'justification'];

/** Parse the schema and check it against the contract above; false if it cannot be used. */
export function checkSchema(text: string, namespace: string, problems: Problem[]): boolean {
  const tooComplex = guardCedarText(SCHEMA_FILE, text, 'schema');
  if (tooComplex.length > 0) {
    problems.push(...tooComplex);
    return false;
  }
  const parsed = schemaToJsonWithResolvedTypes(text);
  if (parsed.type === 'failure') {
    problems.push(...cedarProblems(SCHEMA_FILE, text, parsed.errors, 'CEDAR_SCHEMA_INVALID'));
    return false;
  }
  const at = text.indexOf(`namespace ${namespace}`);
  const line = at < 0 ? 1 : lineAtUtf8(text, new TextEncoder().encode(text.slice(0, at)).length);
  const incompatible = (message: string): void => {
    problems.push({ file: SCHEMA_FILE, line, code: 'SCHEMA_INCOMPATIBLE', message });
  };
  const ns = parsed.json[namespace];
  if (!ns) {
    incompatible(`schema declares no namespace ${namespace} (bundle.yaml namespace)`);
    return false;
  }
  const before = problems.length;
  for (const [type, attrs] of Object.entries(REQUIRED_ATTRIBUTES)) {
    const entity = ns.entityTypes[type];
    if (!entity) {
      incompatible(`namespace ${namespace} declares no entity type ${type}`);
      continue;
    }
    const shape = 'shape' in entity ? entity.shape : undefined;
    for (const attr of missingAttributes(ns, shape, attrs))
      incompatible(`entity ${type} lacks attribute ${attr}`);
  }
  for (const action of ACTIONS) {
    const def = ns.actions[action];
    if (!def?.appliesTo) {
      incompatible(`namespace ${namespace} declares no action "${action}" that applies to principals`);
      continue;
    }
    for (const attr of missingAttributes(ns, def.appliesTo.context, CONTEXT_ATTRIBUTES)) {
      incompatible(`context of action "${action}" lacks attribute ${attr}`);
    }
  }
  return problems.length === before;
}

function missingAttributes(
  ns: NamespaceDefinition<string>,
  type: Type<string> | undefined,
  wanted: readonly string[],
): string[] {
  let resolved: Type<string> | undefined = type;
  if (resolved && resolved.type !== 'Record') {
    const common = resolved.type.split('::').pop() ?? '';
    resolved = ns.commonTypes?.[common];
  }
  const attributes = resolved?.type === 'Record' && 'attributes' in resolved ? resolved.attributes : {};
  return wanted.filter((a) => !(a in attributes));
}

/** Strict-mode validation of every policy; type errors at the line inside the policy's file. */
export function validatePolicies(
  schemaText: string,
  policies: readonly BundlePolicy[],
  problems: Problem[],
): void {
  if (policies.length === 0) return;
  const byId = new Map(policies.map((p) => [p.id, p]));
  const result = validate({
    schema: schemaText,
    policies: { staticPolicies: Object.fromEntries(policies.map((p) => [p.id, p.text])) },
    validationSettings: { mode: 'strict' },
  });
  if (result.type === 'failure') {
    problems.push(...cedarProblems(SCHEMA_FILE, schemaText, result.errors, 'CEDAR_SCHEMA_INVALID'));
    return;
  }
  for (const { policyId, error } of result.validationErrors) {
    const policy = byId.get(policyId);
    if (!policy) continue;
    const [problem] = cedarProblems(policy.file, policy.text, [error], 'CEDAR_TYPE');
    if (problem) problems.push({ ...problem, line: policy.line + problem.line - 1 });
  }
}
