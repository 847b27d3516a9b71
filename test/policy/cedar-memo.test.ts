/**
 * Cedar answers remembered by request shape (cedar-memo.ts): a request that differs from an earlier
 * one only in its resource's id is answered from memory, with Cedar's own answer; a request whose
 * resource id a policy names, or that names it elsewhere, and an answer with an error, are always
 * evaluated.
 */
import { describe, expect, it } from 'vitest';
import { authorize } from '../../src/policy/cedar-engine.js';
import {
  ACTIONS,
  CedarMemo,
  SYSTEM_TYPES,
  buildEntities,
  decide,
  decideWith,
  loadBundle,
  loadBundleFromFiles,
  type CedarEvaluator,
  type DecisionRequest,
  type LoadedBundle,
} from '../../src/policy/index.js';
import { EXAMPLE_DIR, REQUESTERS, erringTokensFiles, exampleFiles, withFile } from './support.js';

/** Cedar on this thread, counting its calls. */
function counted(): { evaluate: CedarEvaluator; calls: () => number } {
  let calls = 0;
  return {
    evaluate: (bundle, namespace, request) => {
      calls++;
      return Promise.resolve(authorize(bundle, namespace, request));
    },
    calls: () => calls,
  };
}

const CONTEXTS = [
  { durationMinutes: 60, justification: 'why' },
  { durationMinutes: 0, entitlements: ['superuser'] },
  { durationMinutes: 100_000, justification: 'x', control: 'c', compensatingControl: 'y' },
];
const PRINCIPALS = ['service:ci-pipeline', 'person:eve', 'person:bob', 'person:nobody'];

/** An existing identity `id` on a system of `type`, as the resource, with its entities. */
function onIdentity(type: (typeof SYSTEM_TYPES)[number], id: string, tags: string[]) {
  const entities = buildEntities({
    principals: REQUESTERS,
    systems: [{ id: 'sys', type, environment: 'prod' }],
    identities: [{ id, kind: type === 'tokens' ? 'token' : 'ai_agent', system: 'sys', tags }],
  });
  return { resource: { identity: id }, entities };
}

/** The CI pipeline asks to rotate the tokens identity `id`. */
function ciRotates(id: string): DecisionRequest {
  return {
    principal: 'service:ci-pipeline',
    action: 'rotate',
    context: CONTEXTS[0],
    ...onIdentity('tokens', id, ['service:payments']),
  };
}

/** The example bundle with one more policy file. */
function exampleWith(file: string, policies: string): LoadedBundle {
  return loadBundleFromFiles(withFile(exampleFiles(), file, policies));
}

/**
 * Every action on every system type by requesters in and out of the bundle's groups, with contexts
 * that trip guardrails, each on several identities and new identities alike.
 */
function requests(): DecisionRequest[] {
  const out: DecisionRequest[] = [];
  for (const type of SYSTEM_TYPES) {
    for (const tags of [['service:payments'], ['service:search']]) {
      for (const principal of PRINCIPALS) {
        for (const action of ACTIONS) {
          for (const context of CONTEXTS) {
            for (const id of ['agent-1', 'agent-2', 'agent-3']) {
              out.push({ principal, action, context, ...onIdentity(type, id, tags) });
            }
            for (const name of ['deploy-1', 'deploy-2', 'deploy-3']) {
              const { entities } = onIdentity(type, 'unused', tags);
              const created = { name, kind: 'token' as const, system: 'sys', tags };
              out.push({ principal, action, context, resource: { new: created }, entities });
            }
          }
        }
      }
    }
  }
  return out;
}

describe('remembered Cedar answers', () => {
  for (const [label, bundle] of [
    ['example bundle', loadBundle(EXAMPLE_DIR)],
    ['with a policy that errors', loadBundleFromFiles(erringTokensFiles())],
  ] as [string, LoadedBundle][]) {
    it(`decide as decide() does, request for request, evaluating each shape once (${label})`, async () => {
      const all = requests();
      const cedar = counted();
      const memo = new CedarMemo(cedar.evaluate);
      const outcomes = new Set<string>();
      // One after another, so that every repeat of a shape finds it remembered.
      for (const request of all) {
        const expected = decide(bundle, request);
        expect(await decideWith(bundle, request, memo.evaluate)).toEqual(expected);
        outcomes.add(expected.allowed ? 'allow' : 'deny');
      }
      expect([...outcomes].sort()).toEqual(['allow', 'deny']);
      const { hits, evaluated } = memo.stats();
      expect(cedar.calls()).toBe(evaluated);
      // Each shape comes with 3 identities and 3 new identities: at most 2 evaluations in 6 (requests
      // decide() denies before Cedar, such as an unknown requester's, reach neither).
      expect(hits + evaluated).toBeGreaterThan(all.length / 2);
      if (label === 'example bundle') {
        expect(evaluated).toBeLessThanOrEqual((hits + evaluated) / 3);
      } else {
        // An answer with an error is never remembered (a rotate of a tokens identity for long errs).
        const erring = all.filter((r) =>
          decide(bundle, r).reasons.some((reason) => reason.includes('failed to evaluate')),
        );
        expect(erring.length).toBeGreaterThan(0);
        const before = cedar.calls();
        for (const request of erring) await decideWith(bundle, request, memo.evaluate);
        expect(cedar.calls() - before).toBe(erring.length);
      }
    });
  }

  it('never answers for an identity a policy names from the answer for another', async () => {
    // The id is written with a Cedar escape, which no search of the policy's text would find.
    const bundle = exampleWith(
      'policies/named.cedar',
      `@id("no-rotating-the-special-one")
forbid (principal, action, resource == Custos::Identity::"svc-sp\\u{65}cial");
`,
    );
    const memo = new CedarMemo(counted().evaluate);
    const other = await decideWith(bundle, ciRotates('svc-other'), memo.evaluate);
    expect(other.allowed).toBe(true);
    const special = await decideWith(bundle, ciRotates('svc-special'), memo.evaluate);
    expect(special).toEqual(decide(bundle, ciRotates('svc-special')));
    expect(special.allowed).toBe(false);
    expect(special.determiningPolicies).toEqual(['no-rotating-the-special-one']);
    // And another identity of the same shape is answered from memory.
    expect(await decideWith(bundle, ciRotates('svc-third'), memo.evaluate)).toEqual(other);
    expect(memo.stats()).toMatchObject({ hits: 1, evaluated: 2 });
  });

  it('evaluates every time a request that names its resource elsewhere', async () => {
    const bundle = loadBundle(EXAMPLE_DIR);
    const memo = new CedarMemo(counted().evaluate);
    // The resource's id among the requested entitlements, and as a tag of the identity itself.
    const requests: DecisionRequest[] = [
      { ...onIdentity('tokens', 'svc-a', ['service:payments']), context: { entitlements: ['svc-a'] } },
      { ...onIdentity('tokens', 'svc-b', ['service:payments']), context: { entitlements: ['svc-a'] } },
      { ...onIdentity('tokens', 'svc-c', ['service:payments', 'x-svc-c-y']), context: {} },
      { ...onIdentity('tokens', 'svc-d', ['service:payments', 'x-svc-d-y']), context: {} },
    ].map((r) => ({ ...r, principal: 'service:ci-pipeline', action: 'rotate' }));
    for (const request of [...requests, ...requests]) {
      expect(await decideWith(bundle, request, memo.evaluate)).toEqual(decide(bundle, request));
    }
    // svc-a (twice) and svc-c, svc-d (twice each) never have a key; svc-b is remembered once.
    expect(memo.stats()).toMatchObject({ hits: 1, evaluated: 7 });
  });

  it('tells justifications apart only by whether they are empty, where policies read no more', async () => {
    const rotate = (id: string, justification: unknown): DecisionRequest => ({
      principal: 'person:eve',
      action: 'rotate',
      context: { durationMinutes: 60, justification: justification as string },
      ...onIdentity('postgres', id, ['app:reporting']),
    });
    // The example bundle reads the justification only as `context.justification == ""`.
    const example = loadBundle(EXAMPLE_DIR);
    const memo = new CedarMemo(counted().evaluate);
    const asked = [
      rotate('svc-alpha', 'rotate after INC-42'),
      rotate('svc-bravo', 'quarterly rotation'),
      rotate('svc-charlie', ''),
      rotate('svc-delta', ''),
      // Not a string: Cedar refuses it, and it never shares a string's answer.
      rotate('svc-echo', true),
    ];
    for (const request of asked) {
      expect(await decideWith(example, request, memo.evaluate)).toEqual(decide(example, request));
    }
    expect(memo.stats()).toMatchObject({ hits: 2, evaluated: 3 });
    expect(decide(example, asked[4]!).allowed).toBe(false);

    // A policy that reads the text: each justification is evaluated.
    const reading = exampleWith(
      'policies/incidents.cedar',
      '@id("no-drills")\nforbid (principal, action, resource) when { context.justification like "*drill*" };\n',
    );
    const strict = new CedarMemo(counted().evaluate);
    const drill = rotate('svc-foxtrot', 'fire drill');
    const real = rotate('svc-golf', 'rotate after INC-42');
    for (const request of [real, drill]) {
      expect(await decideWith(reading, request, strict.evaluate)).toEqual(decide(reading, request));
    }
    expect(decide(reading, real).allowed).not.toBe(decide(reading, drill).allowed);
    expect(strict.stats()).toMatchObject({ hits: 0, evaluated: 2 });
  });

  it('keeps the answers of each bundle apart', async () => {
    const example = loadBundle(EXAMPLE_DIR);
    // The same request, which one bundle allows and the other forbids.
    const strict = exampleWith(
      'policies/freeze.cedar',
      '@id("freeze")\nforbid (principal, action == Custos::Action::"rotate", resource);\n',
    );
    const memo = new CedarMemo(counted().evaluate);
    expect((await decideWith(example, ciRotates('svc-alpha'), memo.evaluate)).allowed).toBe(true);
    expect((await decideWith(strict, ciRotates('svc-bravo'), memo.evaluate)).allowed).toBe(false);
    expect((await decideWith(example, ciRotates('svc-charlie'), memo.evaluate)).allowed).toBe(true);
    expect((await decideWith(strict, ciRotates('svc-delta'), memo.evaluate)).allowed).toBe(false);
    expect(memo.stats()).toMatchObject({ hits: 2, evaluated: 2, size: 2 });
  });

  it('keeps at most its limit of answers, the least recently used going first', async () => {
    const bundle = loadBundle(EXAMPLE_DIR);
    const cedar = counted();
    const memo = new CedarMemo(cedar.evaluate, { limit: 2 });
    const shape = (n: number, id: string): DecisionRequest => ({
      principal: 'service:ci-pipeline',
      action: 'rotate',
      context: { durationMinutes: n },
      ...onIdentity('tokens', id, ['service:payments']),
    });
    await decideWith(bundle, shape(1, 'svc-alpha'), memo.evaluate);
    await decideWith(bundle, shape(2, 'svc-alpha'), memo.evaluate);
    await decideWith(bundle, shape(1, 'svc-bravo'), memo.evaluate); // a hit: shape 1 is now the most recent
    await decideWith(bundle, shape(3, 'svc-alpha'), memo.evaluate); // evicts shape 2
    expect(memo.stats()).toMatchObject({ hits: 1, evaluated: 3, size: 2 });
    await decideWith(bundle, shape(1, 'svc-charlie'), memo.evaluate);
    await decideWith(bundle, shape(2, 'svc-charlie'), memo.evaluate);
    expect(memo.stats()).toMatchObject({ hits: 2, evaluated: 4, size: 2 });
    expect(() => new CedarMemo(cedar.evaluate, { limit: 0 })).toThrow(RangeError);
  });
});
