/**
 * The verifier is usable without the rest of Custos: following every import from its entry point
 * (and from the parallel driver's worker script, which it loads by URL) reaches only relative files
 * and node:crypto, plus node:fs/node:path in read-dir.ts, and in the parallel driver (parallel.ts,
 * verify-worker.ts, and core/thread.ts which starts its workers) node:worker_threads, node:url,
 * node:fs and node:path.
 */
import fs from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';

const SRC = path.resolve(import.meta.dirname, '../../src');

function importsOf(file: string): string[] {
  const text = fs.readFileSync(file, 'utf8');
  return [...text.matchAll(/^\s*(?:import|export)\s[^;]*?from\s+'([^']+)'/gms)].map((m) => m[1]!);
}

it('custos/verifier depends only on node:crypto (and node:fs to read a directory; node:worker_threads in the parallel driver)', () => {
  const seen = new Set<string>();
  // module -> every file importing it
  const external = new Map<string, Set<string>>();
  const queue = [path.join(SRC, 'verifier/index.ts'), path.join(SRC, 'verifier/verify-worker.ts')];
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    for (const spec of importsOf(file)) {
      if (spec.startsWith('.')) queue.push(path.resolve(path.dirname(file), spec.replace(/\.js$/, '.ts')));
      else external.set(spec, (external.get(spec) ?? new Set()).add(path.relative(SRC, file)));
    }
  }
  const parallel = [
    'verifier/parallel.ts',
    'verifier/parallel-source.ts',
    'verifier/verify-worker.ts',
    'core/thread.ts',
  ];
  const allowedIn: Record<string, readonly string[]> = {
    'node:fs': ['verifier/read-dir.ts', ...parallel],
    'node:path': ['verifier/read-dir.ts', ...parallel],
    'node:worker_threads': parallel,
    'node:url': parallel,
  };
  expect([...external.keys()].filter((m) => m !== 'node:crypto' && allowedIn[m] === undefined)).toEqual([]);
  for (const [m, files] of external) {
    if (m === 'node:crypto') continue;
    for (const file of files) expect(allowedIn[m], `${file} imports ${m}`).toContain(file);
  }
  expect(seen.has(path.join(SRC, 'verifier/parallel.ts'))).toBe(true);
  expect(seen.size).toBeGreaterThan(10);
});

it('the package exports the verifier as its own subpath', () => {
  const pkg = JSON.parse(fs.readFileSync(path.resolve(SRC, '../package.json'), 'utf8')) as {
    exports: Record<string, string>;
  };
  expect(pkg.exports['./verifier']).toBe('./dist/verifier/index.js');
});
