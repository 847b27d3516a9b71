/**
 * Which decisions a new bundle version would change: every golden case of both versions, and any
 * recorded requests (for example, the requests of the last 90 days), decided by both versions.
 * A change is any difference in outcome, risk tier, route or determining policies.
 */
import { decide } from './decide.js';
import type { DecisionRequest } from './decision-types.js';
import { suiteRequests, summarize, type DecisionField } from './golden-run.js';
import type { LoadedBundle } from './load-bundle.js';

export interface DecisionChange {
  readonly source: 'golden' | 'recorded';
  /** The golden case name, or `recorded[i]`. */
  readonly name: string;
  /** For golden cases: the file and line of the case (in the version that has it). */
  readonly file: string | undefined;
  readonly line: number | undefined;
  readonly request: DecisionRequest;
  readonly fields: readonly DecisionField[];
  readonly before: Readonly<Record<DecisionField, string>>;
  readonly after: Readonly<Record<DecisionField, string>>;
}

export interface BundleDiff {
  readonly oldHash: string;
  readonly newHash: string;
  /** How many distinct requests were decided by both versions. */
  readonly compared: number;
  readonly changes: readonly DecisionChange[];
}

interface Probe {
  readonly source: 'golden' | 'recorded';
  readonly name: string;
  readonly file: string | undefined;
  readonly line: number | undefined;
  readonly request: DecisionRequest;
}

const FIELDS: readonly DecisionField[] = ['decision', 'tier', 'route', 'policies'];

export function diffBundles(
  oldBundle: LoadedBundle,
  newBundle: LoadedBundle,
  recorded: readonly DecisionRequest[] = [],
): BundleDiff {
  const probes = new Map<string, Probe>();
  for (const bundle of [oldBundle, newBundle]) {
    for (const suite of bundle.suites) {
      for (const { golden, request } of suiteRequests(bundle, suite)) {
        const key = JSON.stringify([golden.file, golden.name, request]);
        if (!probes.has(key)) {
          probes.set(key, {
            source: 'golden',
            name: golden.name,
            file: golden.file,
            line: golden.line,
            request,
          });
        }
      }
    }
  }
  recorded.forEach((request, i) => {
    probes.set(`recorded:${i}`, {
      source: 'recorded',
      name: `recorded[${i}]`,
      file: undefined,
      line: undefined,
      request,
    });
  });
  const changes: DecisionChange[] = [];
  for (const probe of probes.values()) {
    const before = summarize(decide(oldBundle, probe.request));
    const after = summarize(decide(newBundle, probe.request));
    const fields = FIELDS.filter((f) => before[f] !== after[f]);
    if (fields.length > 0) changes.push({ ...probe, fields, before, after });
  }
  return { oldHash: oldBundle.hash, newHash: newBundle.hash, compared: probes.size, changes };
}

/** A readable diff: one block per changed decision, `field: before -> after`. */
export function formatBundleDiff(diff: BundleDiff): string {
  const lines = [
    `${diff.oldHash} -> ${diff.newHash}: ${diff.changes.length} of ${diff.compared} decisions change`,
  ];
  for (const c of diff.changes) {
    const where = c.file === undefined ? '' : ` (${c.file}:${c.line ?? 1})`;
    lines.push(`${c.source} ${c.name}${where}`);
    for (const f of c.fields) lines.push(`  ${f.padEnd(8)}  ${c.before[f]} -> ${c.after[f]}`);
  }
  return lines.join('\n');
}
