import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  bundleHash,
  formatGoldenReport,
  lintBundle,
  loadBundle,
  loadBundleFromFiles,
  runGoldenCases,
} from '../../src/policy/index.js';
import { EXAMPLE_DIR, exampleFiles } from './support.js';

describe('the example bundle', () => {
  it('lints clean', () => {
    expect(lintBundle(EXAMPLE_DIR)).toEqual([]);
  });

  it('passes all its golden cases', () => {
    const report = runGoldenCases(loadBundle(EXAMPLE_DIR));
    expect(report.failed, formatGoldenReport(report)).toBe(0);
    expect(report.passed).toBeGreaterThanOrEqual(20);
    expect(report.problems).toEqual([]);
  });

  it('covers the workflows, policies and suites it claims', () => {
    const bundle = loadBundle(EXAMPLE_DIR);
    expect([...bundle.workflows.keys()].sort()).toEqual([
      'ldap-service-accounts',
      'mariadb-service-accounts',
      'postgres-service-accounts',
      'rabbitmq-service-accounts',
      'redis-service-accounts',
      'scim-saas-accounts',
      'service-tokens',
    ]);
    expect(bundle.policies.length).toBeGreaterThanOrEqual(15);
    expect(bundle.suites.map((s) => s.file)).toEqual([
      'tests/ldap.yaml',
      'tests/mariadb.yaml',
      'tests/postgres.yaml',
      'tests/rabbitmq.yaml',
      'tests/redis.yaml',
      'tests/scim.yaml',
      'tests/tokens.yaml',
    ]);
    expect(bundle.manifest).toMatchObject({ name: 'acme-nhi', author: 'person:pat', namespace: 'Custos' });
  });

  it('can be reloaded from its stored files, to the same hash', () => {
    const files = exampleFiles();
    const again = loadBundleFromFiles(files.map((f) => ({ path: f.path, bytes: Uint8Array.from(f.bytes) })));
    expect(again.hash).toBe(loadBundle(EXAMPLE_DIR).hash);
  });
});

describe('bundle hash', () => {
  const files = exampleFiles();

  it('is sha256 over the sha256sum-style listing sorted by path', () => {
    const listing = [...files]
      .sort((a, b) => (a.path < b.path ? -1 : 1))
      .map((f) => `${createHash('sha256').update(f.bytes).digest('hex')}  ${f.path}\n`)
      .join('');
    expect(bundleHash(files)).toBe(`sha256:${createHash('sha256').update(listing).digest('hex')}`);
  });

  it('does not depend on the order of the files', () => {
    expect(bundleHash([...files].reverse())).toBe(bundleHash(files));
    const shuffled = [...files].sort(() => 0.5 - Math.random());
    expect(bundleHash(shuffled)).toBe(bundleHash(files));
  });

  it('changes with any byte of any file, and with a renamed file', () => {
    const hash = bundleHash(files);
    const seen = new Set([hash]);
    for (const [i, file] of files.entries()) {
      for (const at of [0, file.bytes.length - 1]) {
        const bytes = Uint8Array.from(file.bytes);
        bytes[at] = bytes[at]! ^ 1;
        const changed = files.map((f, j) => (j === i ? { path: f.path, bytes } : f));
        seen.add(bundleHash(changed));
      }
    }
    expect(seen.size).toBe(1 + files.length * 2);
    const renamed = files.map((f) => (f.path === 'README.md' ? { ...f, path: 'NOTES.md' } : f));
    expect(bundleHash(renamed)).not.toBe(hash);
  });
});
