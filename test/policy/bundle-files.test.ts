import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BundleInvalidError, bundleFiles, lintBundle, loadBundle } from '../../src/policy/index.js';
import { EXAMPLE_DIR } from './support.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

function copyExample(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'custos-bundle-'));
  dirs.push(dir);
  fs.cpSync(EXAMPLE_DIR, dir, { recursive: true });
  return dir;
}

function problemsOfDir(dir: string): BundleInvalidError {
  try {
    bundleFiles(dir);
  } catch (err) {
    if (err instanceof BundleInvalidError) return err;
    throw err;
  }
  throw new Error('expected BundleInvalidError');
}

describe('bundleFiles (reading a bundle directory)', () => {
  it('reads every file with a relative, /-separated path and skips hidden entries', () => {
    const dir = copyExample();
    fs.mkdirSync(path.join(dir, '.git'));
    fs.writeFileSync(path.join(dir, '.git', 'HEAD'), 'ref: refs/heads/main\n');
    fs.writeFileSync(path.join(dir, '.DS_Store'), 'x');
    const paths = bundleFiles(dir).map((f) => f.path);
    expect(paths).toContain('workflows/postgres-service-accounts.yaml');
    expect(paths).toContain('README.md');
    expect(paths.some((p) => p.startsWith('.') || p.includes('/.'))).toBe(false);
    expect(loadBundle(dir).hash).toBe(loadBundle(EXAMPLE_DIR).hash);
  });

  it('refuses symbolic links: a bundle never pulls in files from outside', () => {
    const dir = copyExample();
    fs.symlinkSync('/etc/hostname', path.join(dir, 'policies', 'outside.cedar'));
    const error = problemsOfDir(dir);
    expect(error.code).toBe('BUNDLE_INVALID');
    expect(error.problems).toEqual([
      expect.objectContaining({ file: 'policies/outside.cedar', line: 1, code: 'FILE_UNEXPECTED' }),
    ]);
    expect(lintBundle(dir).map((p) => p.code)).toEqual(['FILE_UNEXPECTED']);
  });

  it('reports a missing directory', () => {
    const error = problemsOfDir(path.join(os.tmpdir(), 'custos-no-such-bundle'));
    expect(error.problems.map((p) => p.code)).toEqual(['FILE_MISSING']);
  });

  it('lints a broken bundle on disk with file:line CODE problems', () => {
    const dir = copyExample();
    const file = path.join(dir, 'workflows', 'service-tokens.yaml');
    fs.writeFileSync(
      file,
      fs.readFileSync(file, 'utf8').replace('retention: audit-2y', 'retention: audit-2y\nowner: me'),
    );
    const problems = lintBundle(dir);
    expect(problems).toEqual([
      expect.objectContaining({
        file: 'workflows/service-tokens.yaml',
        code: 'UNKNOWN_FIELD',
        message: 'unknown field "owner"',
      }),
    ]);
    expect(() => loadBundle(dir)).toThrow(BundleInvalidError);
  });
});
