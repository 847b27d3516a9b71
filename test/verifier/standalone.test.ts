/**
 * The verifier is usable without the rest of Custos: following every import from its entry point
 * reaches only relative files and node:crypto (plus node:fs/node:path in read-dir.ts).
 */
import fs from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';

const SRC = path.resolve(import.meta.dirname, '../../src');

function importsOf(file: string): string[] {
  const text = fs.readFileSync(file, 'utf8');
  return [...text.matchAll(/^\s*(?:import|export)\s[^;]*?from\s+'([^']+)'/gms)].map((m) => m[1]!);
}

it('custos/verifier depends only on node:crypto (and node:fs to read a directory)', () => {
  const seen = new Set<string>();
  const external = new Map<string, string>();
  const queue = [path.join(SRC, 'verifier/index.ts')];
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    for (const spec of importsOf(file)) {
      if (spec.startsWith('.')) queue.push(path.resolve(path.dirname(file), spec.replace(/\.js$/, '.ts')));
      else external.set(spec, path.relative(SRC, file));
    }
  }
  const allowed = new Set(['node:crypto', 'node:fs', 'node:path']);
  expect([...external.keys()].filter((m) => !allowed.has(m))).toEqual([]);
  for (const [m, file] of external) if (m !== 'node:crypto') expect(file).toBe('verifier/read-dir.ts');
  expect(seen.size).toBeGreaterThan(10);
});

it('the package exports the verifier as its own subpath', () => {
  const pkg = JSON.parse(fs.readFileSync(path.resolve(SRC, '../package.json'), 'utf8')) as {
    exports: Record<string, string>;
  };
  expect(pkg.exports['./verifier']).toBe('./dist/verifier/index.js');
});
