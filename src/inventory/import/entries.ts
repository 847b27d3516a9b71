/** An entry read from an import file, with the line of each of its fields. */
import type { EntryKind } from '../fields.js';
import type { FieldProblem, Problem } from '../problems.js';

export interface Entry {
  readonly kind: EntryKind;
  readonly value: unknown;
  /** 1-based line where the entry starts. */
  readonly line: number;
  /** Line of each field path found in the entry (`owners.business`, `credentials.0`). */
  readonly lines: ReadonlyMap<string, number>;
}

/** The read entries, or the problems that kept the file from being read. */
export interface Source {
  readonly entries: readonly Entry[];
  readonly problems: readonly Problem[];
}

/** The line of a field, or of its nearest enclosing field, or of the entry. */
export function rowOf(entry: Entry, field: string): number {
  for (let path = field; path !== ''; path = path.includes('.') ? path.slice(0, path.lastIndexOf('.')) : '') {
    const line = entry.lines.get(path);
    if (line !== undefined) return line;
  }
  return entry.line;
}

export function placeProblem(file: string, entry: Entry, p: FieldProblem): Problem {
  return { file, row: rowOf(entry, p.field), ...p };
}
