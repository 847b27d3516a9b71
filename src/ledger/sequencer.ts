/**
 * Assigns indexes and writes records, leaf/node hashes and the new head, all inside the current
 * (group) transaction and under the ledger lock, so concurrent processes get contiguous indexes
 * with no duplicates and no gaps, and a record commits together with the state change it records.
 */
import { canonicalize } from '../core/canonical-json.js';
import { encodeBase64, utf8 } from '../core/bytes.js';
import { leafHash } from './merkle/index.js';
import { RECORD_VERSION, type LedgerRecord, type RecordDraft } from './record.js';
import { encodeCompact, readHead } from './head.js';
import type { SqlParam, WriteConnection } from '../store/sql.js';

export interface AppendedRecord {
  readonly index: number;
  readonly leafHash: Uint8Array;
  readonly time: string;
  readonly bytes: Uint8Array;
}

/** Builds the canonical bytes of one record (pure). */
export function encodeRecord(
  draft: RecordDraft,
  index: number,
  time: string,
  prev: Uint8Array | undefined,
): Uint8Array {
  const record: LedgerRecord = {
    ...draft,
    v: RECORD_VERSION,
    index,
    time,
    refs: draft.refs ?? [],
    ...(prev === undefined ? {} : { prev: encodeBase64(prev) }),
  };
  return utf8(canonicalize(record));
}

/** Writes drafts in order; returns one AppendedRecord per draft. Call inside an open transaction. */
export async function sequence(
  conn: WriteConnection,
  drafts: readonly RecordDraft[],
  now: () => Date,
): Promise<AppendedRecord[]> {
  await conn.lockLedger();
  const head = await readHead(conn);
  const range = head.range.clone();
  // Time is taken under the lock and never goes backwards along the log.
  let time = now().toISOString();
  if (head.lastTime !== undefined && time < head.lastTime) time = head.lastTime;
  let prev = head.lastLeaf;
  const records: SqlParam[][] = [];
  const nodes: SqlParam[][] = [];
  const appended: AppendedRecord[] = [];
  for (const draft of drafts) {
    const index = range.size;
    const bytes = encodeRecord(draft, index, time, prev);
    const leaf = leafHash(bytes);
    for (const node of range.append(leaf)) nodes.push([node.level, node.index, node.hash]);
    records.push([index, bytes]);
    appended.push({ index, leafHash: leaf, time, bytes });
    prev = leaf;
  }
  await conn.insertMany('ledger_records', ['idx', 'data'], records);
  await conn.insertMany('ledger_nodes', ['level', 'idx', 'hash'], nodes);
  const changed = await conn.run(
    'UPDATE ledger_head SET size = ?, compact = ?, last_leaf = ?, last_time = ? WHERE id = 1 AND size = ?',
    [range.size, encodeCompact(range), prev ?? null, time, head.size],
  );
  if (changed !== 1) throw new Error('ledger head moved under the ledger lock');
  return appended;
}
