/**
 * A decision is evaluated against only the policies of its action and of its resource's system type
 * (cedar-engine.ts). That must never change a decision: here every action on every system type, by
 * requesters in and out of the groups the example bundle names, with contexts that trip guardrails,
 * is decided both ways: sliced, and by Cedar over the whole bundle's policy set.
 */
import {
  policyToJson,
  preparsePolicySet,
  preparseSchema,
  statefulIsAuthorized,
  type AuthorizationAnswer,
} from '@cedar-policy/cedar-wasm/nodejs';
import { describe, expect, it } from 'vitest';
import { authorize } from '../../src/policy/cedar-engine.js';
import {
  ACTIONS,
  SYSTEM_TYPES,
  buildEntities,
  loadBundle,
  loadBundleFromFiles,
} from '../../src/policy/index.js';
import { systemTypeGuard } from '../../src/policy/system-guard.js';
import { EXAMPLE_DIR, erringTokensFiles } from './support.js';

function guardOf(text: string): string | undefined {
  const json = policyToJson(text);
  if (json.type === 'failure') throw new Error(json.errors[0]?.message);
  return systemTypeGuard(json.json.conditions);
}

describe('system-type guard of a policy', () => {
  it('is the literal of a leftmost resource.systemType == "…" in the first when', () => {
    expect(guardOf('permit (principal, action, resource) when { resource.systemType == "tokens" };')).toBe(
      'tokens',
    );
    expect(
      guardOf(
        'permit (principal, action, resource) when { "redis" == resource.systemType && resource.kind == "x" && context.durationMinutes < 5 };',
      ),
    ).toBe('redis');
  });

  it('is absent where the comparison may not be evaluated first, or is not one', () => {
    const none = [
      // not the leftmost conjunct: the left side is evaluated first and may error
      'permit (principal, action, resource) when { resource.kind == "x" && resource.systemType == "tokens" };',
      // a disjunction can hold for another type
      'permit (principal, action, resource) when { resource.systemType == "tokens" || resource.kind == "x" };',
      // the first condition is an unless, or the guard sits in a later condition
      'permit (principal, action, resource) unless { resource.systemType == "tokens" };',
      'permit (principal, action, resource) when { resource.kind == "x" } when { resource.systemType == "tokens" };',
      // another attribute, another variable, a non-literal, an inequality
      'permit (principal, action, resource) when { resource.environment == "tokens" };',
      'permit (principal, action, resource) when { context.systemType == "tokens" };',
      'permit (principal, action, resource) when { resource.systemType == context.environment };',
      'permit (principal, action, resource) when { resource.systemType != "tokens" };',
      'permit (principal, action, resource);',
    ];
    for (const text of none) expect(guardOf(text), text).toBeUndefined();
  });
});

describe('decisions against sliced policy sets', () => {
  // The example bundle plus a policy whose later conjunct errors (a Long overflow) for a resource of
  // its type: it must still error for that type, and only for it.
  const files = erringTokensFiles();
  for (const [label, bundle] of [
    ['example bundle', loadBundle(EXAMPLE_DIR)],
    ['with a policy that errors', loadBundleFromFiles(files)],
  ] as const) {
    it(`match Cedar's whole-bundle evaluation for every action and system type (${label})`, () => {
      const whole = `oracle:${bundle.hash}`;
      expect(preparseSchema(whole, bundle.schemaText).type).toBe('success');
      const staticPolicies = Object.fromEntries(bundle.policies.map((p) => [p.id, p.text]));
      expect(preparsePolicySet(whole, { staticPolicies }).type).toBe('success');
      const seen = new Set<string>();
      let compared = 0;
      for (const type of SYSTEM_TYPES) {
        for (const environment of ['prod', 'staging']) {
          const entities = buildEntities({
            principals: [
              { id: 'service:ci-pipeline', groups: ['group:pipelines'] },
              { id: 'person:eve', groups: ['group:engineering', 'group:dba', 'group:security'] },
              { id: 'person:bob' },
            ],
            systems: [{ id: 'sys', type, environment }],
            identities: [
              { id: 'agent', kind: 'ai_agent', system: 'sys', tags: ['service:payments'] },
              { id: 'tok', kind: 'token', system: 'sys', tags: ['service:payments'] },
            ],
          });
          for (const principal of ['Service::"ci-pipeline"', 'Person::"eve"', 'Person::"bob"']) {
            const [kind, id] = principal.split('::') as [string, string];
            for (const action of ACTIONS) {
              for (const resource of ['agent', 'tok']) {
                for (const context of contexts(environment)) {
                  const call = {
                    principal: { type: `Custos::${kind}`, id: JSON.parse(id) as string },
                    resource: { type: 'Custos::Identity', id: resource },
                    context,
                    entities,
                  };
                  const sliced = authorize(bundle, 'Custos', { ...call, action });
                  const full = statefulIsAuthorized({
                    ...call,
                    action: { type: 'Custos::Action', id: action },
                    preparsedPolicySetId: whole,
                    preparsedSchemaName: whole,
                    validateRequest: true,
                  });
                  expect(summary(sliced), `${principal} ${action} ${resource} on ${type}`).toEqual(
                    summary(full),
                  );
                  compared++;
                  const { decision, errors } = summary(full);
                  seen.add(errors.length > 0 ? 'error' : decision);
                }
              }
            }
          }
        }
      }
      expect(compared).toBe(SYSTEM_TYPES.length * 2 * 3 * ACTIONS.length * 2 * 3);
      // Not vacuous: both outcomes occur, and policy errors where the bundle has a policy that errs.
      expect([...seen].sort()).toEqual(
        label === 'example bundle' ? ['allow', 'deny'] : ['allow', 'deny', 'error'],
      );
    });
  }

  /** Eve asks to create `resource`, with these entities. */
  function eveCreates(resource: string, entities: ReturnType<typeof buildEntities>) {
    return authorize(loadBundle(EXAMPLE_DIR), 'Custos', {
      principal: { type: 'Custos::Person', id: 'eve' },
      action: 'create',
      resource: { type: 'Custos::Identity', id: resource },
      context: contexts('prod')[0]!,
      entities,
    });
  }

  it('decides a resource of a system type Custos does not know with the whole action set', () => {
    const entities = buildEntities({
      principals: [{ id: 'person:eve', groups: ['group:engineering'] }],
      systems: [{ id: 'mf', type: 'mainframe' as 'tokens', environment: 'prod' }],
      identities: [{ id: 'batch', kind: 'token', system: 'mf' }],
    });
    expect(summary(eveCreates('batch', entities))).toEqual({ decision: 'deny', reason: [], errors: [] });
  });

  it('still decides an identity whose entity carries no systemType (no slicing then)', () => {
    const entities = buildEntities({ principals: [{ id: 'person:eve', groups: ['group:engineering'] }] });
    const answer = eveCreates('absent', entities);
    expect(answer.type).toBe('success');
    if (answer.type === 'success') expect(answer.response.decision).toBe('deny');
  });
});

function contexts(environment: string) {
  const base = { workflow: 'w', environment, entitlements: [] as string[], justification: 'why' };
  return [
    { ...base, durationMinutes: 60 },
    { ...base, durationMinutes: 0, justification: '', entitlements: ['superuser'] },
    { ...base, durationMinutes: 100_000, control: 'x', compensatingControl: 'y' },
  ];
}

function summary(answer: AuthorizationAnswer): { decision: string; reason: string[]; errors: string[] } {
  if (answer.type === 'failure') throw new Error(answer.errors[0]?.message);
  const { decision, diagnostics } = answer.response;
  return {
    decision,
    reason: [...diagnostics.reason].sort(),
    errors: diagnostics.errors.map((e) => e.policyId).sort(),
  };
}
