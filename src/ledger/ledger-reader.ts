/**
 * Proofs and reads over the stored tree. Only complete (perfect) subtree hashes are stored, so
 * any inclusion or consistency proof needs O(log n) node reads, fetched in one query.
 */
import { CustosError } from '../core/errors.js';
import { planConsistency, planInclusion, rootPlan, type NodeId, type ProofPlan } from './merkle/index.js';
import type { Sql, SqlParam } from '../store/sql.js';

export async function fetchNodes(sql: Sql, ids: readonly NodeId[]): Promise<Uint8Array[]> {
  if (ids.length === 0) return [];
  const params: SqlParam[] = [];
  const where = ids.map((id) => {
    params.push(id.level, id.index);
    return '(level = ? AND idx = ?)';
  });
  const rows = await sql.query<{ level: number; idx: number; hash: Uint8Array }>(
    `SELECT level, idx, hash FROM ledger_nodes WHERE ${where.join(' OR ')}`,
    params,
  );
  const byKey = new Map(rows.map((r) => [`${r.level}/${r.idx}`, r.hash]));
  return ids.map((id) => {
    const hash = byKey.get(`${id.level}/${id.index}`);
    if (hash === undefined) {
      throw new CustosError(
        'LEDGER_PRUNED',
        `tree node ${id.level}/${id.index} is not stored (pruned or beyond the tree)`,
        {
          details: { level: id.level, index: id.index },
        },
      );
    }
    return hash;
  });
}

async function runPlan(sql: Sql, plan: ProofPlan): Promise<Uint8Array[]> {
  return plan.assemble(await fetchNodes(sql, plan.reads));
}

export async function treeSize(sql: Sql): Promise<number> {
  const rows = await sql.query<{ size: number }>('SELECT size FROM ledger_head WHERE id = 1');
  if (rows[0] === undefined)
    throw new CustosError('NOT_INITIALISED', 'the ledger has not been created: run `custos init`');
  return rows[0].size;
}

// The largest tree size seen committed per connection: the log only grows, so a proof for a size at
// or below it needs no extra round trip to re-read the head.
const committedSize = new WeakMap<Sql, number>();

async function checkSize(sql: Sql, size: number): Promise<void> {
  if (Number.isSafeInteger(size) && size >= 1 && size <= (committedSize.get(sql) ?? 0)) return;
  const current = await treeSize(sql);
  committedSize.set(sql, current);
  if (!Number.isSafeInteger(size) || size < 1 || size > current) {
    throw new CustosError('PROOF_SIZE_INVALID', `tree size ${size} is not in [1, ${current}]`, {
      details: { size, treeSize: current },
    });
  }
}

/** RFC 9162 §2.1.3 inclusion proof for leaf `index` in the tree of `size` leaves. */
export async function inclusionProof(sql: Sql, index: number, size: number): Promise<Uint8Array[]> {
  await checkSize(sql, size);
  return runPlan(sql, planInclusion(index, size));
}

/** RFC 9162 §2.1.4 consistency proof between tree sizes size1 <= size2. */
export async function consistencyProof(sql: Sql, size1: number, size2: number): Promise<Uint8Array[]> {
  await checkSize(sql, size2);
  return runPlan(sql, planConsistency(size1, size2));
}

/** The root of the tree of `size` leaves, from stored nodes. */
export async function rootAt(sql: Sql, size: number): Promise<Uint8Array> {
  await checkSize(sql, size);
  const plan = rootPlan(size);
  return plan.assemble(await fetchNodes(sql, plan.reads));
}

export interface StoredRecord {
  readonly index: number;
  readonly bytes: Uint8Array;
}

/** Streams stored records in index order, in pages. */
export async function* readRecords(
  sql: Sql,
  from: number,
  to: number,
  page = 5000,
): AsyncGenerator<StoredRecord> {
  for (let start = from; start < to; start += page) {
    const rows = await sql.query<{ idx: number; data: Uint8Array }>(
      'SELECT idx, data FROM ledger_records WHERE idx >= ? AND idx < ? ORDER BY idx',
      [start, Math.min(to, start + page)],
    );
    for (const row of rows) yield { index: row.idx, bytes: row.data };
  }
}

/** Streams stored level-0 (leaf) hashes in index order, in pages. */
export async function* readLeafHashes(
  sql: Sql,
  from: number,
  to: number,
  page = 20000,
): AsyncGenerator<StoredRecord> {
  for (let start = from; start < to; start += page) {
    const rows = await sql.query<{ idx: number; hash: Uint8Array }>(
      'SELECT idx, hash FROM ledger_nodes WHERE level = 0 AND idx >= ? AND idx < ? ORDER BY idx',
      [start, Math.min(to, start + page)],
    );
    for (const row of rows) yield { index: row.idx, bytes: row.hash };
  }
}
