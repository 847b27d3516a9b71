/**
 * CSV import: one kind per file, a header row of (dotted) field names — `owners.business`,
 * `connection.host`, `tags.team`, `credentials.0.fingerprint` — and ';'-separated lists
 * (`roles`, `groups`, `entitlements`). An empty cell means the field is absent.
 */
import { SHAPES, isKnownColumn, type EntryKind } from '../fields.js';
import type { Problem } from '../problems.js';
import { CsvSyntaxError, parseCsv, type CsvRecord } from './csv.js';
import type { Entry, Source } from './entries.js';

export function readCsv(file: string, text: string, kind: EntryKind): Source {
  let records: CsvRecord[];
  try {
    records = parseCsv(text.replace(/^\uFEFF/, ''));
  } catch (e) {
    if (!(e instanceof CsvSyntaxError)) throw e;
    return {
      entries: [],
      problems: [{ file, row: e.line, field: '', code: 'IMPORT_MALFORMED', message: e.message }],
    };
  }
  const [header, ...rows] = records;
  if (header === undefined) {
    return { entries: [], problems: [malformed(file, 1, 'a CSV file starts with a header row')] };
  }
  const problems: Problem[] = [];
  const columns = header.fields.map((name, i) => {
    const known = isKnownColumn(SHAPES[kind], name);
    if (!known)
      problems.push({
        file,
        row: header.line,
        field: name,
        code: 'UNKNOWN_FIELD',
        message: `not a ${kind} field`,
      });
    if (header.fields.indexOf(name) !== i)
      problems.push(malformed(file, header.line, 'a column appears twice', name));
    return known ? name : undefined;
  });
  const entries: Entry[] = [];
  for (const row of rows) {
    if (row.fields.length === 1 && row.fields[0] === '') continue; // a blank line
    if (row.fields.length !== columns.length) {
      problems.push(
        malformed(file, row.line, `has ${row.fields.length} fields; the header has ${columns.length}`),
      );
      continue;
    }
    entries.push({ kind, value: toEntry(kind, columns, row.fields), line: row.line, lines: new Map() });
  }
  return { entries, problems };
}

function toEntry(
  kind: EntryKind,
  columns: readonly (string | undefined)[],
  cells: readonly string[],
): unknown {
  const entry: Record<string, unknown> = {};
  columns.forEach((column, i) => {
    const cell = cells[i]!;
    if (column === undefined || cell === '') return;
    const value = SHAPES[kind].lists.includes(column) ? splitList(cell) : cell;
    setPath(entry, column.split('.'), value);
  });
  return densify(entry);
}

function splitList(cell: string): string[] {
  return cell
    .split(';')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

function setPath(target: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let node: Record<string, unknown> = target;
  path.slice(0, -1).forEach((segment, i) => {
    const nextIsIndex = /^\d+$/.test(path[i + 1]!);
    node[segment] ??= nextIsIndex ? [] : {};
    node = node[segment] as Record<string, unknown>;
  });
  node[path[path.length - 1]!] = value;
}

/** `credentials.2` without `credentials.0` leaves holes: close them. */
function densify(value: unknown): unknown {
  if (Array.isArray(value)) return value.filter(() => true).map(densify);
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, densify(v)]));
  }
  return value;
}

function malformed(file: string, row: number, message: string, field = ''): Problem {
  return { file, row, field, code: 'IMPORT_MALFORMED', message };
}
