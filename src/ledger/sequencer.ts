/**
 * Assigns indexes and writes records, leaf/node hashes and the new head, all inside the current
 * (group) transaction and under the ledger lock, then commits it: concurrent processes get
 * contiguous indexes with no duplicates and no gaps, and a record commits together with the state
 * change it records.
 */
import { canonicalize, canonicalizeFast, emitMember, sortedKeys } from '../core/canonical-json.js';
import { encodeBase64, utf8 } from '../core/bytes.js';
import { leafHash } from './merkle/index.js';
import { RECORD_VERSION, type LedgerRecord, type RecordDraft } from './record.js';
import { encodeCompact, lockHead } from './head.js';
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
  const runs: string[][] = [[], [], [], [], [], []];
  let refs = '[]'; // `draft.refs ?? []`
  for (const key of sortedKeys(record)) {
    if (key === 'prev') return undefined; // kept or replaced depending on the index: encode generically
    const member = record[key];
    if (member === undefined) continue;
    if (key === 'refs' || OVERWRITTEN.has(key)) {
      // Checked as canonicalize(draft) would check it, though the sequencer sets its own value.
      const value = canonicalizeFast(key) === undefined ? undefined : canonicalizeFast(member);
      if (value === undefined) return undefined;
      if (key === 'refs' && member !== null) refs = value;
      continue;
    }
    let gap = 0;
    while (gap < SEQUENCER_KEYS.length && SEQUENCER_KEYS[gap]! < key) gap++;
    const run = runs[gap]!;
    if (run.length > 0) run.push(',');
    if (!emitMember(key, member, run)) return undefined;
  }
  // Joined into flat strings: they live until the commit, so they should be few objects.
  return { draft, gaps: runs.map((run) => run.join('')), refs };
}

// A batch shares one time: its canonical text is computed once.
let lastTime: string | undefined;
let lastTimeText: string | undefined;

/** encodeRecord(prepared.draft, index, time, prev), byte for byte, from the prepared members. */
export function encodePrepared(
  prepared: PreparedDraft,
  index: number,
  time: string,
  prev: Uint8Array | undefined,
): Uint8Array {
  const { gaps } = prepared;
  const indexText = Number.isFinite(index) ? String(index) : undefined; // Number::toString
  if (time !== lastTime) {
    lastTime = time;
    lastTimeText = canonicalizeFast(time);
  }
  const timeText = lastTimeText;
  if (gaps === undefined || indexText === undefined || timeText === undefined) {
    return encodeRecord(prepared.draft, index, time, prev);
  }
  let text = join('{', gaps[0]!);
  text = join(text, `"index":${indexText}`);
  text = join(text, gaps[1]!);
  if (prev !== undefined) text = join(text, `"prev":"${encodeBase64(prev)}"`);
  text = join(text, gaps[2]!);
  text = join(text, `"refs":${prepared.refs}`);
  text = join(text, gaps[3]!);
  text = join(text, `"time":${timeText}`);
  text = join(text, gaps[4]!);
  text = join(text, `"v":${RECORD_VERSION}`);
  text = join(text, gaps[5]!);
  return utf8Pooled(`${text}}`);
}

/** Appends a member run to an object's text ('{' so far, or '{' and members); '' adds nothing. */
function join(text: string, part: string): string {
  if (part === '') return text;
  return text.length === 1 ? text + part : `${text},${part}`;
}

/**
 * UTF-8 bytes as a plain Uint8Array view into Buffer's shared allocation pool (small strings), so
 * a record costs no ArrayBuffer of its own: TextEncoder allocates a fresh off-heap backing store
 * per call, which at thousands of records per commit made the garbage collector the bottleneck.
 */
function utf8Pooled(text: string): Uint8Array {
  const buffer = Buffer.from(text, 'utf8');
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

/**
 * Sequences prepared drafts (checked and canonicalised when they were queued) under the ledger
 * lock, writes them with their tree nodes and the new head, and commits the open transaction.
 * Returns one AppendedRecord per draft, in order. Rejects with CommitOutcomeUnknown when the
 * transaction may have committed, with any other error when it did not.
 */
export async function sequenceAndCommit(
  conn: WriteConnection,
  drafts: readonly PreparedDraft[],
  now: () => Date,
): Promise<AppendedRecord[]> {
  const head = await lockHead(conn);
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
  // The first failure fails the batch (and the server aborts the rest of the transaction).
  await conn.commitSequenced({
    records,
    nodes,
    head: [range.size, encodeCompact(range), prev ?? null, time],
    fromSize: head.size,
  });
  return appended;
}
