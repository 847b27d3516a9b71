/** The sequencer's head row: tree size, the compact range of [0, size), last leaf and time. */
import { CustosError } from '../core/errors.js';
import { CompactRange } from './merkle/index.js';
import { HEAD_SELECT, type Sql, type WriteConnection } from '../store/sql.js';

export interface Head {
  readonly size: number;
  readonly range: CompactRange;
  readonly lastLeaf: Uint8Array | undefined;
  readonly lastTime: string | undefined;
  readonly prunedBelow: number;
}

interface HeadRow {
  size: number;
  compact: Uint8Array;
  last_leaf: Uint8Array | null;
  last_time: string | null;
  pruned_below: number;
}

export async function readHead(sql: Sql): Promise<Head> {
  return toHead(await sql.query<HeadRow & Record<string, unknown>>(HEAD_SELECT));
}

/** The head, held for sequencing until the transaction ends (WriteConnection.readHeadForUpdate). */
export async function lockHead(conn: WriteConnection): Promise<Head> {
  return toHead(await conn.readHeadForUpdate<HeadRow & Record<string, unknown>>());
}

function toHead(rows: readonly HeadRow[]): Head {
  const row = rows[0];
  if (row === undefined)
    throw new CustosError('NOT_INITIALISED', 'the ledger has not been created: run `custos init`');
  const hashes: Uint8Array[] = [];
  for (let off = 0; off < row.compact.length; off += 32) hashes.push(row.compact.subarray(off, off + 32));
  return {
    size: row.size,
    range: CompactRange.from(row.size, hashes),
    lastLeaf: row.last_leaf ?? undefined,
    lastTime: row.last_time ?? undefined,
    prunedBelow: row.pruned_below,
  };
}

export function encodeCompact(range: CompactRange): Uint8Array {
  return Buffer.concat(range.hashes());
}
