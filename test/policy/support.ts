/** Shared helpers for the policy tests: the example bundle's files, edited in memory. */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import {
  bundleFiles,
  checkBundleFiles,
  type BundleFile,
  type PrincipalFixture,
  type Problem,
} from '../../src/policy/index.js';

export const EXAMPLE_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../examples/bundle');

/** Requesters in and out of the example bundle's groups, as entity fixtures. */
export const REQUESTERS = [
  { id: 'service:ci-pipeline', groups: ['group:pipelines'] },
  { id: 'person:eve', groups: ['group:engineering', 'group:dba', 'group:security'] },
  { id: 'person:bob' },
] as const satisfies readonly PrincipalFixture[];

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function exampleFiles(): BundleFile[] {
  return bundleFiles(EXAMPLE_DIR);
}

export function text(file: BundleFile): string {
  return decoder.decode(file.bytes);
}

/** The example bundle with one file rewritten; fails the test if the edit changed nothing. */
export function editFile(
  files: readonly BundleFile[],
  file: string,
  edit: (text: string) => string,
): BundleFile[] {
  let found = false;
  const out = files.map((f) => {
    if (f.path !== file) return f;
    found = true;
    const before = text(f);
    const after = edit(before);
    expect(after, `edit of ${file} must change it`).not.toBe(before);
    return { path: f.path, bytes: encoder.encode(after) };
  });
  expect(found, `${file} exists`).toBe(true);
  return out;
}

export function withFile(files: readonly BundleFile[], file: string, content: string): BundleFile[] {
  return [...files.filter((f) => f.path !== file), { path: file, bytes: encoder.encode(content) }];
}

/** The problems of an invalid bundle (asserting it is invalid). */
export function problemsOf(files: readonly BundleFile[]): readonly Problem[] {
  const check = checkBundleFiles(files);
  expect(check.ok).toBe(false);
  return check.problems;
}

/** 1-based line of the first line of `file` containing `needle`. */
export function lineOf(files: readonly BundleFile[], file: string, needle: string): number {
  const f = files.find((x) => x.path === file);
  const index = f
    ? text(f)
        .split('\n')
        .findIndex((l) => l.includes(needle))
    : -1;
  expect(index, `${needle} in ${file}`).toBeGreaterThanOrEqual(0);
  return index + 1;
}

/**
 * The example bundle's files plus a policy on tokens whose later conjunct errors (a Long overflow)
 * for a `rotate` of a tokens identity: it errs for that type, and only for it.
 */
export function erringTokensFiles(): BundleFile[] {
  return editFile(
    exampleFiles(),
    'policies/tokens.cedar',
    (t) =>
      `${t}
@id("tokens-errs-unless-control")
@risk("low")
permit (principal, action == Custos::Action::"rotate", resource)
when { resource.systemType == "tokens" && context.durationMinutes * 100000000000000 > 0 };
`,
  );
}
