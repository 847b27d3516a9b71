/**
 * Run a bundle's golden decision cases: each case's request is decided against the bundle with
 * its file's fixtures, and every expected field (decision, tier, route, policies) is compared.
 */
import { decide } from './decide.js';
import type { Decision, DecisionRequest } from './decision-types.js';
import { buildEntities } from './entities.js';
import type { GoldenCase, GoldenSuite } from './golden-parse.js';
import type { LoadedBundle } from './load-bundle.js';
import type { Problem } from './problems.js';

export type DecisionField = 'decision' | 'tier' | 'route' | 'policies';

export interface FieldDiff {
  readonly field: DecisionField;
  readonly expected: string;
  readonly actual: string;
}

export interface GoldenResult {
  readonly case: GoldenCase;
  readonly decision: Decision;
  /** Empty when the case passed. */
  readonly diffs: readonly FieldDiff[];
}

export interface GoldenReport {
  readonly bundleHash: string;
  readonly results: readonly GoldenResult[];
  readonly passed: number;
  readonly failed: number;
  /** One GOLDEN_MISMATCH per failed case, at the case's line. */
  readonly problems: readonly Problem[];
}

export function runGoldenCases(bundle: LoadedBundle): GoldenReport {
  const results = bundle.suites
    .flatMap((suite) => suiteRequests(bundle, suite))
    .map(({ golden, request }) => {
      const decision = decide(bundle, request);
      return { case: golden, decision, diffs: compareExpected(golden, decision) };
    });
  const failed = results.filter((r) => r.diffs.length > 0);
  return {
    bundleHash: bundle.hash,
    results,
    passed: results.length - failed.length,
    failed: failed.length,
    problems: failed.map((r) => ({
      file: r.case.file,
      line: r.case.line,
      code: 'GOLDEN_MISMATCH',
      message: `case "${r.case.name}": ${r.diffs.map((d) => `${d.field} expected ${d.expected}, got ${d.actual}`).join('; ')}`,
    })),
  };
}

/** The decision requests of a suite's cases, with the suite's fixtures as entities. */
export function suiteRequests(
  bundle: LoadedBundle,
  suite: GoldenSuite,
): { golden: GoldenCase; request: DecisionRequest }[] {
  const entities = buildEntities(suite.fixtures, bundle.manifest.namespace);
  return suite.cases.map((golden) => ({
    golden,
    request: {
      principal: golden.request.principal,
      action: golden.request.action,
      resource: golden.request.resource,
      context: golden.request.context,
      entities,
    },
  }));
}

function compareExpected(golden: GoldenCase, decision: Decision): FieldDiff[] {
  const { expect } = golden;
  const actual = summarize(decision);
  const expected: Partial<Record<DecisionField, string>> = {
    decision: expect.decision,
    ...(expect.tier === undefined ? {} : { tier: expect.tier }),
    ...(expect.route === undefined ? {} : { route: expect.route }),
    ...(expect.policies === undefined ? {} : { policies: listText(expect.policies) }),
  };
  const diffs: FieldDiff[] = [];
  for (const field of FIELDS) {
    const want = expected[field];
    if (want === undefined || want === actual[field]) continue;
    const why = field === 'decision' && !decision.allowed ? ` (${decision.reasons.join('; ')})` : '';
    diffs.push({ field, expected: want, actual: `${actual[field]}${why}` });
  }
  return diffs;
}

const FIELDS: readonly DecisionField[] = ['decision', 'tier', 'route', 'policies'];

/** A decision's comparable fields as text ('(none)' where a denied decision has no value). */
export function summarize(decision: Decision): Record<DecisionField, string> {
  return {
    decision: decision.allowed ? 'allow' : 'deny',
    tier: decision.riskTier ?? '(none)',
    route: decision.route?.name ?? '(none)',
    policies: listText(decision.determiningPolicies),
  };
}

function listText(ids: readonly string[]): string {
  return `[${[...ids].sort().join(', ')}]`;
}

/** A readable report: one line per case, and for each failure the expected and actual fields. */
export function formatGoldenReport(report: GoldenReport): string {
  const lines: string[] = [];
  for (const r of report.results) {
    const mark = r.diffs.length === 0 ? 'ok  ' : 'FAIL';
    lines.push(`${mark} ${r.case.file}:${r.case.line} ${r.case.name}`);
    for (const d of r.diffs) {
      lines.push(
        `       ${d.field.padEnd(8)}  expected ${d.expected}`,
        `       ${''.padEnd(8)}  actual   ${d.actual}`,
      );
    }
  }
  lines.push(`${report.passed} passed, ${report.failed} failed (bundle ${report.bundleHash})`);
  return lines.join('\n');
}
