import { describe, expect, it } from 'vitest';
import {
  buildEntities,
  diffBundles,
  formatBundleDiff,
  loadBundleFromFiles,
  runGoldenCases,
  type DecisionRequest,
} from '../../src/policy/index.js';
import { editFile, exampleFiles } from './support.js';

const oldFiles = exampleFiles();
const oldBundle = loadBundleFromFiles(oldFiles);

describe('diffBundles', () => {
  it('finds no change between a bundle and itself', () => {
    const diff = diffBundles(oldBundle, loadBundleFromFiles(oldFiles));
    expect(diff.changes).toEqual([]);
    expect(diff.compared).toBe(runGoldenCases(oldBundle).results.length);
  });

  it('detects a decision a new version changes, field by field', () => {
    // The new version makes staging grants of pg_read_all_data medium risk instead of low.
    const newFiles = editFile(oldFiles, 'policies/postgres.cedar', (t) =>
      t.replace('@id("pg-create-staging")\n@risk("low")', '@id("pg-create-staging")\n@risk("medium")'),
    );
    const newBundle = loadBundleFromFiles(newFiles);
    expect(newBundle.hash).not.toBe(oldBundle.hash);
    const diff = diffBundles(oldBundle, newBundle);
    expect(diff.changes).toHaveLength(1);
    const [change] = diff.changes;
    expect(change).toMatchObject({
      source: 'golden',
      name: 'an engineer creates a staging service account automatically',
      file: 'tests/postgres.yaml',
      fields: ['tier', 'route'],
      before: { decision: 'allow', tier: 'low', route: 'low' },
      after: { decision: 'allow', tier: 'medium', route: 'medium' },
    });
    expect(formatBundleDiff(diff)).toContain('tier      low -> medium');
    // ... and the golden case of the new version now fails, showing the difference.
    const report = runGoldenCases(newBundle);
    expect(report.failed).toBe(1);
    expect(report.problems[0]).toMatchObject({ code: 'GOLDEN_MISMATCH', file: 'tests/postgres.yaml' });
    expect(report.problems[0]?.message).toContain('tier expected low, got medium');
  });

  it('decides recorded requests with both versions', () => {
    const newFiles = editFile(oldFiles, 'policies/guardrails.cedar', (t) =>
      t.replace('when { context.durationMinutes > 240 };', 'when { context.durationMinutes > 120 };'),
    );
    const entities = buildEntities({
      principals: [{ id: 'person:dan', groups: ['group:dba'] }],
      systems: [{ id: 'pg-prod', type: 'postgres', environment: 'prod' }],
      identities: [{ id: 'payments-app', kind: 'service_account', system: 'pg-prod' }],
    });
    const recorded: DecisionRequest[] = [
      {
        principal: 'person:dan',
        action: 'break_glass',
        resource: { identity: 'payments-app' },
        context: { durationMinutes: 180, justification: 'INC-1' },
        entities,
      },
    ];
    const diff = diffBundles(oldBundle, loadBundleFromFiles(newFiles), recorded);
    expect(diff.changes.map((c) => [c.source, c.name, c.fields])).toEqual([
      ['recorded', 'recorded[0]', ['decision', 'tier', 'route', 'policies']],
    ]);
    expect(diff.changes[0]?.after.policies).toBe('[break-glass-max-4h]');
  });
});
