/**
 * Problems found in inventory input. Each names the file, the 1-based row (the line of the field
 * in YAML/JSON, the record's line in CSV), the field (dotted: `owners.business`,
 * `credentials.0.fingerprint`), a stable code and a message that never repeats an input value.
 * Every problem is collected before anything is refused; nothing partial is ever written.
 */
import { CustosError, type ErrorCode } from '../core/errors.js';

export type ProblemCode = Extract<
  ErrorCode,
  | 'DUPLICATE_ID'
  | 'ENUM_INVALID'
  | 'FIELD_IMMUTABLE'
  | 'FIELD_INVALID'
  | 'FIELD_REQUIRED'
  | 'FINGERPRINT_INVALID'
  | 'IMPORT_MALFORMED'
  | 'OWNERS_MISSING'
  | 'PRINCIPAL_KIND_INVALID'
  | 'PRINCIPAL_UNKNOWN'
  | 'SECRET_NOT_REFERENCE'
  | 'STATE_TRANSITION_INVALID'
  | 'SYSTEM_UNKNOWN'
  | 'UNKNOWN_FIELD'
  | 'YAML_INVALID'
>;

/** A problem about one field of one entry, before it is placed in a file. */
export interface FieldProblem {
  readonly field: string;
  readonly code: ProblemCode;
  readonly message: string;
}

export interface Problem extends FieldProblem {
  readonly file: string;
  /** 1-based; 1 when the problem concerns the whole file. */
  readonly row: number;
}

/** Collects field problems under a path prefix. */
export class Problems {
  readonly list: FieldProblem[] = [];

  add(field: string, code: ProblemCode, message: string): void {
    this.list.push({ field, code, message });
  }

  get empty(): boolean {
    return this.list.length === 0;
  }
}

/** `file:row field CODE message`, one per line, sorted by file, row, field, code. */
export function formatProblem(p: Problem): string {
  return `${p.file}:${p.row} ${p.field || '-'} ${p.code} ${p.message}`;
}

export function sortProblems(problems: readonly Problem[]): Problem[] {
  return [...problems].sort(
    (a, b) => cmp(a.file, b.file) || a.row - b.row || cmp(a.field, b.field) || cmp(a.code, b.code),
  );
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Thrown when input has any problem; nothing was written. */
export class InventoryInputError extends CustosError {
  readonly problems: readonly Problem[];

  constructor(problems: readonly Problem[]) {
    const sorted = sortProblems(problems);
    const first = sorted[0];
    super(
      'IMPORT_INVALID',
      `${sorted.length} problem(s); nothing was written${first ? `; first: ${formatProblem(first)}` : ''}`,
      { details: { problems: sorted.length } },
    );
    this.name = 'InventoryInputError';
    this.problems = sorted;
  }
}

/**
 * For single operations of the service API: the first problem as a CustosError with its own
 * code (OWNERS_MISSING, SECRET_NOT_REFERENCE, …) and the field in its details.
 */
export function firstProblemError(problems: readonly FieldProblem[]): CustosError {
  const p = problems[0]!;
  return new CustosError(p.code, `${p.field ? `${p.field}: ` : ''}${p.message}`, {
    details: { field: p.field, problems: problems.length },
  });
}
