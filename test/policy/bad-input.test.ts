import { describe, expect, it } from 'vitest';
import {
  BundleInvalidError,
  formatProblems,
  loadBundleFromFiles,
  type BundleFile,
  type ProblemCode,
} from '../../src/policy/index.js';
import { editFile, exampleFiles, lineOf, problemsOf, text, withFile } from './support.js';

const TOKENS_WF = 'workflows/service-tokens.yaml';
const TOKENS_CEDAR = 'policies/tokens.cedar';
const base = exampleFiles();

/** The bundle is refused with exactly this problem among its problems, and nothing is usable. */
function expectProblem(files: BundleFile[], code: ProblemCode, file: string, needle: string | number): void {
  const line = typeof needle === 'number' ? needle : lineOf(files, file, needle);
  const problems = problemsOf(files);
  expect(problems, formatProblems(problems)).toContainEqual(expect.objectContaining({ code, file, line }));
  let thrown: unknown;
  try {
    loadBundleFromFiles(files);
  } catch (err) {
    thrown = err;
  }
  expect(thrown).toBeInstanceOf(BundleInvalidError);
  const error = thrown as BundleInvalidError;
  expect(error.code).toBe('BUNDLE_INVALID');
  expect(error.details['problems']).toBe(error.problems.length);
  expect(error.problems).toEqual(problems);
}

describe('bad bundles: a precise problem (file, line, stable code) and nothing usable', () => {
  it('malformed YAML', () => {
    const files = editFile(base, TOKENS_WF, (t) =>
      t.replace('kinds: [token, api_key]', 'kinds: [token, api_key'),
    );
    expectProblem(files, 'YAML_INVALID', TOKENS_WF, 'actions: [create');
  });

  it('a duplicate key', () => {
    const files = editFile(base, TOKENS_WF, (t) =>
      t.replace('retention: audit-2y', 'retention: audit-2y\nretention: x'),
    );
    expectProblem(files, 'YAML_INVALID', TOKENS_WF, 'retention: x');
  });

  it('an unknown field', () => {
    const files = editFile(base, TOKENS_WF, (t) =>
      t.replace('  required: true', '  required: true\n  by: robots'),
    );
    expectProblem(files, 'UNKNOWN_FIELD', TOKENS_WF, 'by: robots');
    expect(problemsOf(files)[0]?.message).toBe('unknown field "verification.by"');
  });

  it('an unknown field in a golden case', () => {
    const files = editFile(base, 'tests/tokens.yaml', (t) =>
      t.replace(
        'expect: { decision: deny, policies: [tokens-expire] }',
        'expect: { decision: deny, policies: [tokens-expire], why: x }',
      ),
    );
    expectProblem(files, 'UNKNOWN_FIELD', 'tests/tokens.yaml', 'why: x');
  });

  it('a Cedar syntax error', () => {
    const files = editFile(base, TOKENS_CEDAR, (t) =>
      t.replace('resource.kind == "token" &&', 'resource.kind == "token" &&&'),
    );
    expectProblem(files, 'CEDAR_SYNTAX', TOKENS_CEDAR, '&&&');
  });

  it('a Cedar type error (schema violation), at the line inside the file', () => {
    const files = editFile(base, TOKENS_CEDAR, (t) =>
      t.replace('context.durationMinutes <= 1440', 'context.durationMinutes <= "1440"'),
    );
    expectProblem(files, 'CEDAR_TYPE', TOKENS_CEDAR, '<= "1440"');
  });

  it('an attribute the schema does not declare', () => {
    const files = editFile(base, 'policies/postgres.cedar', (t) =>
      t.replace(
        'when { resource.systemType == "postgres" };\n\n@id("pg-grant-staging")',
        'when { resource.owner == "x" };\n\n@id("pg-grant-staging")',
      ),
    );
    expectProblem(files, 'CEDAR_TYPE', 'policies/postgres.cedar', 'resource.owner');
  });

  it('a workflow without owners', () => {
    const files = editFile(base, TOKENS_WF, (t) => t.replace(/owners:\n( {2}.*\n){4}/, ''));
    expectProblem(files, 'OWNERS_MISSING', TOKENS_WF, 1);
  });

  it('a workflow missing one owner, or naming a group as owner', () => {
    const missing = editFile(base, TOKENS_WF, (t) => t.replace('  platform: person:pat\n', ''));
    expectProblem(missing, 'OWNERS_MISSING', TOKENS_WF, 'owners:');
    const group = editFile(base, TOKENS_WF, (t) =>
      t.replace('  business: person:bob', '  business: group:finance'),
    );
    expectProblem(group, 'WORKFLOW_INVALID', TOKENS_WF, 'business: group:finance');
  });

  it('a workflow without an escalation path', () => {
    const files = editFile(base, TOKENS_WF, (t) =>
      t.replace('escalation: [person:pat, person:paula]', 'escalation: []'),
    );
    expectProblem(files, 'ESCALATION_MISSING', TOKENS_WF, 'escalation: []');
  });

  it('a governed action without a rollback mode', () => {
    const files = editFile(base, TOKENS_WF, (t) => t.replace('  rotate: compensating\n', ''));
    expectProblem(files, 'ROLLBACK_MISSING', TOKENS_WF, 'rollback:');
  });

  it('a route the requester could approve alone', () => {
    // Leave pat alone in group:platform (drop pete, and alice's platform membership, from every
    // suite's fixtures): pat's medium-risk requests could then only be approved by pat.
    const pete = '    - { id: person:pete, groups: [group:platform] }\n';
    const alone = (t: string) =>
      t.replace(pete, '').replace('group:engineering, group:platform]', 'group:engineering]');
    const suites = base
      .filter((f) => f.path.startsWith('tests/') && alone(text(f)) !== text(f))
      .map((f) => f.path);
    const files = suites.reduce((acc, suite) => editFile(acc, suite, alone), base);
    // "  medium:", "    mode: approvals", "    requirements:"
    expectProblem(files, 'ROUTE_UNSAFE', TOKENS_WF, lineOf(files, TOKENS_WF, '  medium:') + 2);
  });

  it('an approvals route that needs no approval', () => {
    const files = editFile(base, TOKENS_WF, (t) =>
      t.replace(
        '      - { group: group:platform, count: 1 }\n    expiresAfter: P1D',
        '      - { group: group:platform, count: 0 }\n    expiresAfter: P1D',
      ),
    );
    expectProblem(files, 'ROUTE_UNSAFE', TOKENS_WF, '  medium:');
  });

  it('one group twice in an unordered route (one person could count twice)', () => {
    const files = editFile(base, TOKENS_WF, (t) =>
      t.replace('      - { group: group:security, count: 1 }', '      - { group: group:platform, count: 1 }'),
    );
    // "  high:", "    mode: approvals", "    requirements:"
    expectProblem(files, 'ROUTE_UNSAFE', TOKENS_WF, lineOf(files, TOKENS_WF, '  high:') + 2);
  });

  it('a high-risk permit routed to an auto route', () => {
    const files = editFile(base, 'policies/postgres.cedar', (t) =>
      t.replace(
        '@id("pg-exception")\n@risk("high")\n@route("exception")',
        '@id("pg-exception")\n@risk("high")\n@route("low")',
      ),
    );
    expectProblem(files, 'ROUTE_NEEDS_HUMAN', 'policies/postgres.cedar', '@id("pg-exception")');
  });

  it('a high route with mode auto', () => {
    const files = editFile(base, TOKENS_WF, (t) =>
      t.replace(/ {2}high:\n[\s\S]*?escalateAfter: PT8H\n/, '  high:\n    mode: auto\n'),
    );
    expectProblem(files, 'ROUTE_NEEDS_HUMAN', TOKENS_WF, '  high:');
  });

  it('a golden case that references an unknown entity', () => {
    const files = editFile(base, 'tests/tokens.yaml', (t) =>
      t.replace('principal: person:eve', 'principal: person:mallory'),
    );
    expectProblem(files, 'GOLDEN_UNKNOWN_ENTITY', 'tests/tokens.yaml', 'person:mallory');
    const identity = editFile(base, 'tests/tokens.yaml', (t) =>
      t.replace('resource: { identity: payments-deploy-token }', 'resource: { identity: ghost }'),
    );
    expectProblem(identity, 'GOLDEN_UNKNOWN_ENTITY', 'tests/tokens.yaml', 'identity: ghost');
  });

  it('a policy without @id, a permit without @risk, a duplicate @id', () => {
    const noId = editFile(base, TOKENS_CEDAR, (t) => t.replace('@id("tokens-create-by-engineer")\n', ''));
    expectProblem(noId, 'POLICY_ID_MISSING', TOKENS_CEDAR, '@risk("medium")');
    const noRisk = editFile(base, TOKENS_CEDAR, (t) =>
      t.replace('@id("tokens-create-by-engineer")\n@risk("medium")\n', '@id("tokens-create-by-engineer")\n'),
    );
    expectProblem(noRisk, 'POLICY_RISK_MISSING', TOKENS_CEDAR, '@id("tokens-create-by-engineer")');
    const dup = editFile(base, TOKENS_CEDAR, (t) =>
      t.replace('@id("tokens-create-by-engineer")', '@id("tokens-ci-create")'),
    );
    // reported at the second use, the one before @risk("medium")
    expectProblem(dup, 'POLICY_ID_DUPLICATE', TOKENS_CEDAR, lineOf(dup, TOKENS_CEDAR, '@risk("medium")') - 1);
  });

  it('a @route or @workflow that does not exist', () => {
    const route = editFile(base, 'policies/postgres.cedar', (t) =>
      t.replace('@route("exception")', '@route("exceptional")'),
    );
    expectProblem(route, 'ROUTE_UNKNOWN', 'policies/postgres.cedar', '@id("pg-exception")');
    const workflow = editFile(base, 'policies/postgres.cedar', (t) =>
      t.replace('@workflow("postgres-service-accounts")', '@workflow("pg")'),
    );
    expectProblem(workflow, 'POLICY_WORKFLOW_UNKNOWN', 'policies/postgres.cedar', '@id("pg-break-glass")');
  });

  it('framework control ids that do not exist', () => {
    const files = editFile(base, TOKENS_WF, (t) =>
      t.replace('NHI9', 'NHI-09').replace('PR.AA-03', 'PR.AC-4'),
    );
    expectProblem(files, 'WORKFLOW_INVALID', TOKENS_WF, 'owaspNhi:');
    expectProblem(files, 'WORKFLOW_INVALID', TOKENS_WF, 'nistCsf:');
  });

  it('a schema that lacks what requests carry, and one that does not parse', () => {
    const lacks = editFile(base, 'schema.cedarschema', (t) => t.replace('    tags: Set<String>,\n', ''));
    expectProblem(lacks, 'SCHEMA_INCOMPATIBLE', 'schema.cedarschema', 'namespace Custos');
    const broken = editFile(base, 'schema.cedarschema', (t) => t.replace('entity Group;', 'entity Group'));
    expectProblem(broken, 'CEDAR_SCHEMA_INVALID', 'schema.cedarschema', 'entity Person');
  });

  it('files outside the layout, and missing parts', () => {
    expectProblem(
      withFile(base, 'workflows/extra.yml', 'name: x\n'),
      'FILE_UNEXPECTED',
      'workflows/extra.yml',
      1,
    );
    expectProblem(
      base.filter((f) => f.path !== 'bundle.yaml'),
      'FILE_MISSING',
      'bundle.yaml',
      1,
    );
    expectProblem(
      base.filter((f) => !f.path.startsWith('tests/')),
      'FILE_MISSING',
      'tests/',
      1,
    );
  });

  it('two workflows with one name, or governing the same thing', () => {
    const tokens = base.find((f) => f.path === TOKENS_WF)!;
    const copy = new TextDecoder().decode(tokens.bytes);
    const same = withFile(base, 'workflows/copy.yaml', copy);
    // files are read in path order: workflows/copy.yaml first, so the second use is the original
    expectProblem(same, 'WORKFLOW_INVALID', TOKENS_WF, 'name: service-tokens');
    const overlap = withFile(
      base,
      'workflows/copy.yaml',
      copy.replace('name: service-tokens', 'name: tokens-2'),
    );
    expectProblem(overlap, 'WORKFLOW_OVERLAP', TOKENS_WF, 'governs:');
  });

  it('collects every problem at once', () => {
    let files = editFile(base, TOKENS_WF, (t) =>
      t.replace('  required: true', '  required: true\n  by: robots'),
    );
    files = editFile(files, TOKENS_CEDAR, (t) => t.replace('@id("tokens-create-by-engineer")\n', ''));
    files = editFile(files, 'tests/tokens.yaml', (t) =>
      t.replace('principal: person:eve', 'principal: person:mallory'),
    );
    const codes = problemsOf(files).map((p) => p.code);
    expect(codes).toEqual(
      expect.arrayContaining(['UNKNOWN_FIELD', 'POLICY_ID_MISSING', 'GOLDEN_UNKNOWN_ENTITY']),
    );
  });
});
