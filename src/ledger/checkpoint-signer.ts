/**
 * Signs C2SP checkpoints of the live tree. The signer keeps its own record of the last checkpoint
 * it signed (beside its key, not in the database it is signing) and refuses to sign a tree that is
 * not an extension of it: smaller, different at the same size, or failing a consistency proof
 * computed from the stored tree. So a rolled-back or rewritten database cannot get a signature.
 */
import { CustosError } from '../core/errors.js';
import { bytesEqual } from '../core/bytes.js';
import { verifyConsistency } from './merkle/index.js';
import { formatCheckpoint, signNote, type NoteSigner } from './note/index.js';
import { consistencyProof, rootAt, treeSize } from './ledger-reader.js';
import type { Sql } from '../store/sql.js';

export interface SignedState {
  readonly size: number;
  readonly rootHash: Uint8Array;
}

/** Where the signer remembers what it last signed. */
export interface SignerStateStore {
  load(): SignedState | undefined;
  save(state: SignedState): void;
}

export interface SignedCheckpoint {
  readonly size: number;
  readonly rootHash: Uint8Array;
  readonly note: string;
}

export interface CheckpointSignerDeps {
  readonly read: Sql;
  readonly signer: NoteSigner;
  readonly state: SignerStateStore;
}

export async function signCheckpoint(deps: CheckpointSignerDeps): Promise<SignedCheckpoint> {
  const { read, signer, state } = deps;
  const size = await treeSize(read);
  if (size === 0) throw new CustosError('LEDGER_EMPTY', 'nothing to sign: the ledger is empty');
  const rootHash = await rootAt(read, size);
  const last = state.load();
  if (last !== undefined) await checkExtends(read, last, size, rootHash);
  const note = signNote(formatCheckpoint({ origin: signer.name, size, rootHash }), [signer]);
  // Remember before publishing: the signer must never sign two inconsistent trees.
  state.save({ size, rootHash });
  return { size, rootHash, note };
}

async function checkExtends(read: Sql, last: SignedState, size: number, rootHash: Uint8Array): Promise<void> {
  const inconsistent = (why: string, cause?: unknown): CustosError =>
    new CustosError('CHECKPOINT_INCONSISTENT', `refusing to sign: ${why}`, {
      cause,
      details: { lastSignedSize: last.size, size },
    });
  if (size < last.size) throw inconsistent(`the tree (${size}) is smaller than the last signed checkpoint`);
  if (size === last.size) {
    if (!bytesEqual(rootHash, last.rootHash)) throw inconsistent('the root changed at the same size');
    return;
  }
  try {
    verifyConsistency(
      last.size,
      size,
      await consistencyProof(read, last.size, size),
      last.rootHash,
      rootHash,
    );
  } catch (cause) {
    throw inconsistent('the tree is not consistent with the last signed checkpoint', cause);
  }
}
