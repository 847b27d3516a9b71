/**
 * `custos ledger verify`: recomputes the live store from its record bytes and checks it against
 * everything stored beside them — leaf and node hashes (so proofs served from the store are sound),
 * the head, and every signed checkpoint with its cosignatures.
 */
import { CustosError } from '../core/errors.js';
import { decompose, nodeHash } from '../ledger/merkle/index.js';
import { parseVerifierKey } from './note/index.js';
import { RecordChain } from '../verifier/record-chain.js';
import { checkCheckpoint, type CheckedCheckpoint } from '../verifier/checkpoint-check.js';
import { fetchNodes, readLeafHashes, readRecords } from './ledger-reader.js';
import { readHead } from './head.js';
import type { Ledger } from './ledger.js';
import type { Sql } from '../store/sql.js';

export interface LiveVerifyOptions {
  /** The log key the auditor trusts; defaults to the one recorded in the store. */
  readonly logKey?: string;
  readonly witnessKeys?: readonly string[];
  readonly onProgress?: (done: number, total: number) => void;
}

export interface LiveVerifyReport {
  readonly origin: string;
  readonly size: number;
  readonly from: number;
  readonly records: number;
  readonly checkpoints: number;
  readonly latestCheckpoint: number;
}

export async function verifyLive(ledger: Ledger, options: LiveVerifyOptions = {}): Promise<LiveVerifyReport> {
  const read = ledger.store.read;
  const info = await ledger.info();
  const trust = {
    log: parseVerifierKey(options.logKey ?? info.verifierKey),
    witnesses: [...(await ledger.witnesses()).map((w) => w.verifierKey), ...(options.witnessKeys ?? [])].map(
      (k) => parseVerifierKey(k),
    ),
  };
  const checkpoints = (await ledger.checkpoints()).map((c) => checkCheckpoint(c.note, trust));
  const head = await readHead(read);
  const from = head.prunedBelow;
  const chain = new RecordChain(from, await fetchNodes(read, decompose(0, from)));
  await verifyRecords(read, chain, head.size, checkpoints, options.onProgress);
  if (!Buffer.concat(chain.range.hashes()).equals(Buffer.concat(head.range.hashes()))) {
    throw new CustosError('NODE_HASH_MISMATCH', 'the stored head does not match the records', {
      details: { index: head.size },
    });
  }
  await verifyInnerNodes(read, head.size, from);
  return {
    origin: info.origin,
    size: head.size,
    from,
    records: head.size - from,
    checkpoints: checkpoints.length,
    latestCheckpoint: checkpoints.at(-1)?.size ?? 0,
  };
}

async function verifyRecords(
  read: Sql,
  chain: RecordChain,
  size: number,
  checkpoints: readonly CheckedCheckpoint[],
  onProgress?: (done: number, total: number) => void,
): Promise<void> {
  const from = chain.size;
  const leaves = readLeafHashes(read, from, size);
  const pending = checkpoints.filter((c) => c.size > from);
  let verifiedUpTo = from;
  for await (const record of readRecords(read, from, size)) {
    if (record.index !== chain.size) {
      throw new CustosError('RECORD_MISSING', `record ${chain.size} is missing`, {
        details: { index: chain.size },
      });
    }
    const { leafHash } = chain.push(record.bytes);
    const next = await leaves.next();
    const stored = next.done === true ? undefined : next.value;
    if (
      stored === undefined ||
      stored.index !== record.index ||
      !Buffer.from(stored.bytes).equals(leafHash)
    ) {
      throw new CustosError(
        'LEAF_HASH_MISMATCH',
        `stored leaf hash of record ${record.index} does not match it`,
        {
          details: { index: record.index },
        },
      );
    }
    while (pending[0]?.size === chain.size) {
      const cp = pending.shift()!;
      if (!Buffer.from(chain.range.root()).equals(cp.rootHash)) {
        throw new CustosError(
          'CHECKPOINT_ROOT_MISMATCH',
          `records do not produce the root signed at size ${cp.size}`,
          {
            details: { index: verifiedUpTo, size: cp.size },
          },
        );
      }
      verifiedUpTo = cp.size;
    }
    if ((chain.size - from) % 65536 === 0) onProgress?.(chain.size - from, size - from);
  }
  if (chain.size < size) {
    throw new CustosError('RECORD_MISSING', `record ${chain.size} is missing`, {
      details: { index: chain.size },
    });
  }
  if (pending.length > 0) {
    throw new CustosError(
      'CHECKPOINT_SIZE_MISMATCH',
      `a checkpoint signs size ${pending[0]!.size} beyond the stored tree`,
      {
        details: { size: pending[0]!.size },
      },
    );
  }
  onProgress?.(size - from, size - from);
}

/** Each stored node above the leaves must be the hash of its two stored children. */
async function verifyInnerNodes(read: Sql, size: number, from: number): Promise<void> {
  for (let level = 1; 2 ** level <= size; level++) {
    const rows = await read.query<{ idx: number; hash: Uint8Array }>(
      'SELECT idx, hash FROM ledger_nodes WHERE level = ? ORDER BY idx',
      [level],
    );
    const children = new Map(
      (
        await read.query<{ idx: number; hash: Uint8Array }>(
          'SELECT idx, hash FROM ledger_nodes WHERE level = ?',
          [level - 1],
        )
      ).map((r) => [r.idx, r.hash]),
    );
    for (const row of rows) {
      const left = children.get(2 * row.idx);
      const right = children.get(2 * row.idx + 1);
      if (left === undefined || right === undefined) {
        if ((row.idx + 1) * 2 ** level <= from) continue; // children pruned
        throw new CustosError('NODE_HASH_MISMATCH', `tree node ${level}/${row.idx} has missing children`, {
          details: { index: row.idx * 2 ** level },
        });
      }
      if (!Buffer.from(nodeHash(left, right)).equals(row.hash)) {
        throw new CustosError(
          'NODE_HASH_MISMATCH',
          `tree node ${level}/${row.idx} is not the hash of its children`,
          {
            details: { index: row.idx * 2 ** level },
          },
        );
      }
    }
  }
}
