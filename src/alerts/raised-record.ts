/**
 * Finding an alert's `alert.raised` record. Indexes are assigned when the group commit sequences
 * the batch, after raiseAlert returns, so the outbox row keeps the committed ledger size seen at
 * raise time: the record lies at or after it, normally within the same batch. A deliverer scans a
 * bounded window from there once and stores the answer; null means "not found cheaply" (a window
 * outrun by concurrent writers, or records pruned), and the alert is delivered without it.
 */
import { encodeBase64 } from '../core/bytes.js';
import type { RecordRef } from '../ledger/record.js';
import type { Sql } from '../store/sql.js';
import { ALERT_RAISED } from './raise-alert.js';

export const SEARCH_WINDOW = 10_000;
const PAGE = 500;

export async function findRaisedIndex(
  sql: Sql,
  alertId: string,
  from: number,
  window = SEARCH_WINDOW,
): Promise<number | null> {
  const needle = Buffer.from(`"alertId":"${alertId}"`, 'utf8');
  const [head] = await sql.query<{ size: number }>('SELECT size FROM ledger_head WHERE id = 1');
  const end = Math.min(from + window, head?.size ?? 0);
  for (let start = from; start < end; start += PAGE) {
    const rows = await sql.query<{ idx: number; data: Uint8Array }>(
      'SELECT idx, data FROM ledger_records WHERE idx >= ? AND idx < ? ORDER BY idx',
      [start, Math.min(start + PAGE, end)],
    );
    for (const row of rows) {
      const bytes = Buffer.from(row.data.buffer, row.data.byteOffset, row.data.byteLength);
      if (!bytes.includes(needle)) continue;
      const record = JSON.parse(bytes.toString('utf8')) as {
        type?: unknown;
        payload?: { alertId?: unknown };
      };
      if (record.type === ALERT_RAISED && record.payload?.alertId === alertId) return row.idx;
    }
  }
  return null;
}

/** A ref to the record at `index` for a later record, when its leaf is still stored. */
export async function refTo(sql: Sql, index: number | null): Promise<RecordRef[]> {
  if (index === null) return [];
  const rows = await sql.query<{ hash: Uint8Array }>(
    'SELECT hash FROM ledger_nodes WHERE level = 0 AND idx = ?',
    [index],
  );
  const hash = rows[0]?.hash;
  return hash === undefined ? [] : [{ index, leafHash: encodeBase64(hash) }];
}
