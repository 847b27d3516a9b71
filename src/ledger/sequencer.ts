/**
 * Assigns indexes and writes records, leaf/node hashes and the new head, all inside the current
 * (group) transaction and under the ledger lock, so concurrent processes get contiguous indexes
 * with no duplicates and no gaps, and a record commits together with the state change it records.
 */
import { canonicalize, canonicalizeFast } from '../core/canonical-json.js';
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

/**
 * A draft canonicalised once, when it is queued: the canonical `"name":value` members of the draft,
 * grouped by where the sequencer's own members (index, prev, refs, time, v) fall between them in
 * RFC 8785 order, so encoding a record is string concatenation instead of a second canonicalisation
 * of the whole record. The members are a snapshot of the draft as it was checked.
 */
export interface PreparedDraft {
  readonly draft: RecordDraft;
  /** Six runs of members: before index, before prev, before refs, before time, before v, after v. */
  readonly gaps: readonly string[] | undefined;
  readonly refs: string;
}

const SEQUENCER_KEYS = ['index', 'prev', 'refs', 'time', 'v'] as const;
const OVERWRITTEN = new Set<string>(['index', 'time', 'v']);

/**
 * Canonicalises a draft for the sequencer. Throws CANONICAL_JSON_INVALID exactly when
 * canonicalize(draft) does. Unusual drafts (a `prev` member, a value the fast path leaves to the
 * careful one) are kept unprepared and encoded by encodeRecord at commit time, as before.
 */
export function prepareDraft(draft: RecordDraft): PreparedDraft {
  const prepared = tryPrepare(draft);
  if (prepared !== undefined) return prepared;
  canonicalize(draft); // throws the usual error when the draft is not canonicalisable
  return { draft, gaps: undefined, refs: '' };
}

function tryPrepare(draft: RecordDraft): PreparedDraft | undefined {
  const proto: unknown = Object.getPrototypeOf(draft);
  if (proto !== Object.prototype && proto !== null) return undefined;
  const record = draft as unknown as Record<string, unknown>;
  const gaps = ['', '', '', '', '', ''];
  let refs = '[]'; // `draft.refs ?? []`
  for (const key of Object.keys(record).sort()) {
    if (key === 'prev') return undefined; // kept or replaced depending on the index: encode generically
    const member = record[key];
    if (member === undefined) continue;
    // Every member is checked, as canonicalize(draft) would, even those the sequencer overwrites.
    const name = canonicalizeFast(key);
    const value = canonicalizeFast(member);
    if (name === undefined || value === undefined) return undefined;
    if (key === 'refs') {
      if (member !== null) refs = value;
    } else if (!OVERWRITTEN.has(key)) {
      let gap = 0;
      while (gap < SEQUENCER_KEYS.length && SEQUENCER_KEYS[gap]! < key) gap++;
      gaps[gap] = gaps[gap] === '' ? `${name}:${value}` : `${gaps[gap]},${name}:${value}`;
    }
  }
  return { draft, gaps, refs };
}

/** encodeRecord(prepared.draft, index, time, prev), byte for byte, from the prepared members. */
export function encodePrepared(
  prepared: PreparedDraft,
  index: number,
  time: string,
  prev: Uint8Array | undefined,
): Uint8Array {
  const { gaps } = prepared;
  const indexText = canonicalizeFast(index);
  const timeText = canonicalizeFast(time);
  if (gaps === undefined || indexText === undefined || timeText === undefined) {
    return encodeRecord(prepared.draft, index, time, prev);
  }
  const parts = [
    gaps[0]!,
    `"index":${indexText}`,
    gaps[1]!,
    prev === undefined ? '' : `"prev":"${encodeBase64(prev)}"`,
    gaps[2]!,
    `"refs":${prepared.refs}`,
    gaps[3]!,
    `"time":${timeText}`,
    gaps[4]!,
    `"v":${RECORD_VERSION}`,
    gaps[5]!,
  ];
  let text = '';
  for (const part of parts) {
    if (part !== '') text = text === '' ? part : `${text},${part}`;
  }
  return utf8(`{${text}}`);
}

/** Writes drafts in order; returns one AppendedRecord per draft. Call inside an open transaction. */
export function sequence(
  conn: WriteConnection,
  drafts: readonly RecordDraft[],
  now: () => Date,
): Promise<AppendedRecord[]> {
  return sequencePrepared(
    conn,
    drafts.map((draft) => ({ draft, gaps: undefined, refs: '' })),
    now,
  );
}

/** sequence() for drafts prepared (checked and canonicalised) when they were queued. */
export async function sequencePrepared(
  conn: WriteConnection,
  drafts: readonly PreparedDraft[],
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
    const bytes = encodePrepared(draft, index, time, prev);
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
