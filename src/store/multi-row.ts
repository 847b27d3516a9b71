/**
 * Multi-row statements, the same SQL on SQLite (3.35+: UPDATE ... FROM) and PostgreSQL: many rows in
 * one statement of at most MAX_ROWS rows, so a connection sees a bounded set of statement texts per kind.
 */
import type { Sql, SqlParam } from './sql.js';

export const MAX_ROWS = 64;

/** `rows` in chunks of at most MAX_ROWS. */
export function chunks<T>(rows: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < rows.length; i += MAX_ROWS) out.push(rows.slice(i, i + MAX_ROWS));
  return out;
}

/** The lengths IN lists are padded to: PostgreSQL prepares each SELECT text once per connection. */
const PADDED = [1, 4, 16, MAX_ROWS] as const;

/**
 * `values` in chunks of at most MAX_ROWS, each padded to 1, 4, 16 or 64 by repeating its last value
 * (harmless in an IN list), so that a connection prepares only a few texts of a lookup.
 */
export function paddedChunks<T>(values: readonly T[]): T[][] {
  return chunks(values).map((chunk) => {
    const size = PADDED.find((n) => n >= chunk.length) ?? chunk.length;
    return [...chunk, ...Array.from({ length: size - chunk.length }, () => chunk[chunk.length - 1]!)];
  });
}

/** `?, ?, …`: one placeholder per value. */
export function placeholders(values: readonly unknown[]): string {
  return values.map(() => '?').join(', ');
}

/** One string per (first, second) pair, for maps and sets keyed by pairs. */
export function pairKey(first: string, second: string): string {
  return `${first}\u0000${second}`;
}

/** A lookup of (first, second) pairs: its condition, the condition's parameters, and a filter. */
export interface PairLookup {
  /** `first IN (…) AND second IN (…)`. */
  readonly where: string;
  readonly params: string[];
  /** Whether a row's pair is one of those asked: the two lists also match pairs nobody asked for. */
  asked(first: string, second: string): boolean;
}

/**
 * Looks up at most MAX_ROWS (first, second) pairs as `first IN (…) AND second IN (…)`, which an
 * index on the two columns answers by probes however large the table. PostgreSQL planned the
 * `(first, second) IN (VALUES …)` semi-join it replaces as a scan of the whole table once the table
 * held a few thousand rows. Each list is padded (paddedChunks), so a connection prepares few texts.
 */
export function pairLookup(
  [first, second]: readonly [string, string],
  pairs: readonly (readonly [string, string])[],
): PairLookup {
  if (pairs.length > MAX_ROWS) throw new RangeError(`pairLookup takes at most ${MAX_ROWS} pairs`);
  const [firsts = []] = paddedChunks([...new Set(pairs.map((p) => p[0]))]);
  const [seconds = []] = paddedChunks([...new Set(pairs.map((p) => p[1]))]);
  const keys = new Set(pairs.map(([a, b]) => pairKey(a, b)));
  return {
    where: `${first} IN (${placeholders(firsts)}) AND ${second} IN (${placeholders(seconds)})`,
    params: [...firsts, ...seconds],
    asked: (a, b) => keys.has(pairKey(a, b)),
  };
}

/**
 * The rows of `select` (a SELECT with no WHERE) whose `columns` hold one of `pairs`: distinct pairs,
 * MAX_ROWS per statement (pairLookup), each row of a pair asked. `order` follows the WHERE.
 */
export async function selectPairs<T extends Record<string, unknown>>(
  sql: Sql,
  select: string,
  columns: readonly [string, string],
  pairs: readonly (readonly [string, string])[],
  order = '',
): Promise<T[]> {
  const distinct = [...new Map(pairs.map((p) => [pairKey(p[0], p[1]), p])).values()];
  const out: T[] = [];
  for (const chunk of chunks(distinct)) {
    const lookup = pairLookup(columns, chunk);
    const rows = await sql.query<T>(`${select} WHERE ${lookup.where}${order}`, lookup.params);
    for (const row of rows) if (lookup.asked(String(row[columns[0]]), String(row[columns[1]]))) out.push(row);
  }
  return out;
}

/** `(?, ?, …), (?, ?, …)`: `count` tuples of `width` placeholders. */
export function tuples(count: number, width: number): string {
  const tuple = `(${Array.from({ length: width }, () => '?').join(', ')})`;
  return Array.from({ length: count }, () => tuple).join(', ');
}

/** Multi-row INSERT of `rows` (each in `columns` order). */
export async function insertRows(
  sql: Sql,
  table: string,
  columns: readonly string[],
  rows: readonly (readonly SqlParam[])[],
): Promise<void> {
  // Issued together: a write connection sends them back to back.
  await Promise.all(
    chunks(rows).map((chunk) =>
      sql.run(
        `INSERT INTO ${table} (${columns.join(', ')}) VALUES ${tuples(chunk.length, columns.length)}`,
        chunk.flat(),
      ),
    ),
  );
}

/**
 * Multi-row UPDATE of `rows` (each `[key, ...columns]`), matched on `key`: every column is set from
 * the row's value. PostgreSQL types the untyped parameters of a VALUES list as text, so this is for
 * text columns (and NULLs) only; a caller with other types casts in its own statement (run-rows.ts).
 * The rows must name distinct keys: which of two rows for one key wins is undefined.
 */
export async function updateRows(
  sql: Sql,
  table: string,
  key: string,
  columns: readonly string[],
  rows: readonly (readonly SqlParam[])[],
): Promise<void> {
  const set = columns.map((c) => `${c} = v.${c}`).join(', ');
  for (const chunk of chunks(rows)) {
    await sql.run(
      `WITH v(${[key, ...columns].join(', ')}) AS (VALUES ${tuples(chunk.length, columns.length + 1)})
       UPDATE ${table} SET ${set} FROM v WHERE ${table}.${key} = v.${key}`,
      chunk.flat(),
    );
  }
}
