/**
 * Problems found in a bundle: each names the file (relative to the bundle, '/'-separated), the
 * 1-based line, and a stable code. Loading collects every problem before refusing the bundle.
 */
import { CustosError, type ErrorCode } from '../core/errors.js';

/** The codes a bundle problem can carry (a subset of the one error vocabulary). */
export type ProblemCode = Extract<
  ErrorCode,
  | 'BUNDLE_TOO_LARGE'
  | 'FILE_MISSING'
  | 'FILE_UNEXPECTED'
  | 'YAML_INVALID'
  | 'UNKNOWN_FIELD'
  | 'MANIFEST_INVALID'
  | 'WORKFLOW_INVALID'
  | 'WORKFLOW_OVERLAP'
  | 'OWNERS_MISSING'
  | 'ESCALATION_MISSING'
  | 'ROLLBACK_MISSING'
  | 'ROUTE_UNKNOWN'
  | 'ROUTE_UNSAFE'
  | 'ROUTE_NEEDS_HUMAN'
  | 'CEDAR_SCHEMA_INVALID'
  | 'SCHEMA_INCOMPATIBLE'
  | 'CEDAR_SYNTAX'
  | 'CEDAR_TYPE'
  | 'CEDAR_TOO_COMPLEX'
  | 'POLICY_ID_MISSING'
  | 'POLICY_ID_DUPLICATE'
  | 'POLICY_RISK_MISSING'
  | 'POLICY_ANNOTATION_INVALID'
  | 'POLICY_WORKFLOW_UNKNOWN'
  | 'POLICY_UNGOVERNED'
  | 'GOLDEN_INVALID'
  | 'GOLDEN_UNKNOWN_ENTITY'
  | 'GOLDEN_MISMATCH'
>;

export interface Problem {
  /** Path relative to the bundle directory, '/'-separated. */
  readonly file: string;
  /** 1-based line; 1 when the problem concerns the whole file. */
  readonly line: number;
  readonly code: ProblemCode;
  readonly message: string;
}

/** `file:line CODE message`, one problem per line, sorted by file, line, then code. */
export function formatProblems(problems: readonly Problem[]): string {
  return sortProblems(problems)
    .map((p) => `${p.file}:${p.line} ${p.code} ${p.message}`)
    .join('\n');
}

export function sortProblems(problems: readonly Problem[]): Problem[] {
  return [...problems].sort(
    (a, b) => cmp(a.file, b.file) || a.line - b.line || cmp(a.code, b.code) || cmp(a.message, b.message),
  );
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Thrown when a bundle has any problem: such a bundle is never usable. */
export class BundleInvalidError extends CustosError {
  readonly problems: readonly Problem[];

  constructor(problems: readonly Problem[], hash?: string) {
    const sorted = sortProblems(problems);
    const first = sorted[0];
    const summary = first ? `; first: ${first.file}:${first.line} ${first.code} ${first.message}` : '';
    super('BUNDLE_INVALID', `workflow bundle has ${sorted.length} problem(s)${summary}`, {
      details: { problems: sorted.length, ...(hash === undefined ? {} : { hash }) },
    });
    this.name = 'BundleInvalidError';
    this.problems = sorted;
  }
}

/** 1-based line of a character offset (UTF-16 code units, as JavaScript strings index). */
export function lineAt(text: string, offset: number): number {
  let line = 1;
  const end = Math.min(Math.max(offset, 0), text.length);
  for (let i = 0; i < end; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

const encoder = new TextEncoder();

/** 1-based line of a UTF-8 byte offset into `text` (Cedar reports source locations in bytes). */
export function lineAtUtf8(text: string, byteOffset: number): number {
  const bytes = encoder.encode(text);
  let line = 1;
  const end = Math.min(Math.max(byteOffset, 0), bytes.length);
  for (let i = 0; i < end; i++) if (bytes[i] === 10) line++;
  return line;
}
