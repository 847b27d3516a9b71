/**
 * Multi-row statements, the same SQL on SQLite and PostgreSQL: many rows in one statement of at
 * most MAX_ROWS rows, so a connection sees a bounded set of statement texts per kind.
 */
import type { Sql, SqlParam } from './sql.js';

export const MAX_ROWS = 64;

/** `rows` in chunks of at most MAX_ROWS. */
export function chunks<T>(rows: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < rows.length; i += MAX_ROWS) out.push(rows.slice(i, i + MAX_ROWS));
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
  for (const chunk of chunks(rows)) {
    await sql.run(
      `INSERT INTO ${table} (${columns.join(', ')}) VALUES ${tuples(chunk.length, columns.length)}`,
      chunk.flat(),
    );
  }
}
