// Attacker-controlled bundle text and request values must never reach the Cedar wasm module in a
// shape that overflows its stack: one such call breaks every later Cedar call in the process.
import { describe, expect, it } from 'vitest';
import { buildEntities, checkBundleFiles, decide, loadBundle } from '../../src/policy/index.js';
import { EXAMPLE_DIR, exampleFiles, lineOf, problemsOf, withFile } from './support.js';

const bundle = loadBundle(EXAMPLE_DIR);
const entities = buildEntities({
  principals: [{ id: 'person:eve', groups: ['group:engineering'] }],
  systems: [{ id: 'pg-prod', type: 'postgres', environment: 'prod' }],
  identities: [{ id: 'payments-app', kind: 'service_account', system: 'pg-prod' }],
});
const rotate = {
  principal: 'person:eve',
  action: 'rotate',
  resource: { identity: 'payments-app' },
  entities,
} as const;

function cedarStillWorks(): void {
  expect(decide(bundle, rotate)).toMatchObject({ allowed: true, determiningPolicies: ['pg-rotate'] });
}

describe('hostile input', () => {
  it('refuses deeply nested policies before Cedar parses them', () => {
    const deep = `@id("deep")\n@risk("low")\npermit (principal, action, resource)\nwhen { ${'('.repeat(500)}true${')'.repeat(500)} };\n`;
    const files = withFile(exampleFiles(), 'policies/deep.cedar', deep);
    expect(problemsOf(files)).toEqual([
      expect.objectContaining({
        file: 'policies/deep.cedar',
        line: lineOf(files, 'policies/deep.cedar', 'when'),
        code: 'CEDAR_TOO_COMPLEX',
      }),
    ]);
    cedarStillWorks();
  });

  it('refuses a policy with a huge operator chain, and a deeply nested schema', () => {
    const chain = `@id("chain")\n@risk("low")\npermit (principal, action, resource)\nwhen { ${Array(2000).fill('1').join(' + ')} > 0 };\n`;
    expect(problemsOf(withFile(exampleFiles(), 'policies/chain.cedar', chain)).map((p) => p.code)).toEqual([
      'CEDAR_TOO_COMPLEX',
    ]);
    const schema = `namespace Custos { entity A = { x: ${'Set<'.repeat(100_000)}String${'>'.repeat(100_000)} }; }\n`;
    const problems = problemsOf(withFile(exampleFiles(), 'schema.cedarschema', schema));
    expect(problems.map((p) => p.code)).toEqual(['CEDAR_TOO_COMPLEX']);
    cedarStillWorks();
  });

  it('ignores brackets inside strings and comments', () => {
    const text = `// (((((((((((((((((((((((((((((\n@id("ok")\n@risk("low")\npermit (principal, action == Custos::Action::"rotate", resource)\nwhen { resource.kind == "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[" };\n`;
    const check = checkBundleFiles(withFile(exampleFiles(), 'policies/strings.cedar', text));
    expect(check.problems).toEqual([]);
  });

  it('denies, without throwing, a request whose context Cedar cannot read', () => {
    const deep = JSON.parse(`${'['.repeat(1000)}${']'.repeat(1000)}`) as never;
    const decision = decide(bundle, { ...rotate, context: { justification: deep } });
    expect(decision.allowed).toBe(false);
    expect(decision.reasons[0]).toMatch(/^request rejected: /);
    cedarStillWorks();
  });
});
