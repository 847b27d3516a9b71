/**
 * The ledger module: one append-only RFC 6962 log per installation, written through the group
 * committer, with signed checkpoints (and their cosignatures) stored beside it.
 */
import { CustosError } from '../core/errors.js';
import {
  addCosignatures,
  parseCheckpoint,
  parseNote,
  parseVerifierKey,
  type NoteSigner,
} from './note/index.js';
import { EMPTY_ROOT } from './merkle/index.js';
import { LedgerWriter, type Committed, type LedgerTx } from './ledger-writer.js';
import { consistencyProof, inclusionProof, rootAt, treeSize } from './ledger-reader.js';
import { signCheckpoint, type SignedCheckpoint, type SignerStateStore } from './checkpoint-signer.js';
import type { Actor, RecordDraft } from './record.js';
import type { AppendedRecord } from './sequencer.js';
import type { Store } from '../store/sql.js';

export const SYSTEM_ACTOR: Actor = { kind: 'non_human', id: 'custos' };

export interface LedgerDeps {
  readonly store: Store;
  readonly now: () => Date;
  /** Present in the process that signs checkpoints. */
  readonly signer?: NoteSigner;
  readonly signerState?: SignerStateStore;
}

export interface LedgerInfo {
  readonly origin: string;
  readonly verifierKey: string;
  readonly size: number;
  readonly rootHash: Uint8Array;
  readonly prunedBelow: number;
}

export interface StoredCheckpoint {
  readonly size: number;
  readonly note: string;
}

export class Ledger {
  readonly writer: LedgerWriter;

  constructor(private readonly deps: LedgerDeps) {
    this.writer = new LedgerWriter({ conn: deps.store.write, now: deps.now });
  }

  get store(): Store {
    return this.deps.store;
  }

  /** The injected clock, so modules writing through the ledger share one notion of time. */
  now(): Date {
    return this.deps.now();
  }

  transact<T>(fn: (tx: LedgerTx) => Promise<T>): Promise<Committed<T>> {
    return this.writer.transact(fn);
  }

  append(draft: RecordDraft): Promise<AppendedRecord> {
    return this.writer.append(draft);
  }

  async exists(): Promise<boolean> {
    const rows = await this.deps.store.read.query('SELECT 1 AS one FROM ledger_head WHERE id = 1');
    return rows.length > 0;
  }

  /** Creates the log: its origin, its verifier key, and a genesis record naming both. */
  async create(origin: string, verifierKey: string): Promise<AppendedRecord> {
    const { records } = await this.transact(async (tx) => {
      const existing = await tx.query('SELECT 1 AS one FROM ledger_head WHERE id = 1');
      if (existing.length > 0) throw new CustosError('ALREADY_INITIALISED', 'the ledger already exists');
      const created = this.deps.now().toISOString();
      for (const [key, value] of [
        ['origin', origin],
        ['verifier_key', verifierKey],
        ['created_at', created],
      ]) {
        await tx.run('INSERT INTO ledger_meta (key, value) VALUES (?, ?)', [key!, value!]);
      }
      await tx.run('INSERT INTO ledger_head (id, size, compact, pruned_below) VALUES (1, 0, ?, 0)', [
        new Uint8Array(),
      ]);
      await tx.append({
        type: 'ledger.created',
        correlationId: 'ledger',
        actor: SYSTEM_ACTOR,
        subject: { kind: 'ledger', id: origin },
        payload: { origin, verifierKey, recordVersion: 1 },
      });
    });
    return records[0]!;
  }

  async info(): Promise<LedgerInfo> {
    const read = this.deps.store.read;
    const meta = new Map(
      (await read.query<{ key: string; value: string }>('SELECT key, value FROM ledger_meta')).map((r) => [
        r.key,
        r.value,
      ]),
    );
    const origin = meta.get('origin');
    const verifierKey = meta.get('verifier_key');
    if (origin === undefined || verifierKey === undefined) {
      throw new CustosError('NOT_INITIALISED', 'the ledger has not been created: run `custos init`');
    }
    const [head] = await read.query<{ size: number; pruned_below: number }>(
      'SELECT size, pruned_below FROM ledger_head WHERE id = 1',
    );
    const size = head?.size ?? 0;
    return {
      origin,
      verifierKey,
      size,
      rootHash: size === 0 ? EMPTY_ROOT : await rootAt(read, size),
      prunedBelow: head?.pruned_below ?? 0,
    };
  }

  size(): Promise<number> {
    return treeSize(this.deps.store.read);
  }

  inclusionProof(index: number, size: number): Promise<Uint8Array[]> {
    return inclusionProof(this.deps.store.read, index, size);
  }

  consistencyProof(size1: number, size2: number): Promise<Uint8Array[]> {
    return consistencyProof(this.deps.store.read, size1, size2);
  }

  /** Signs a checkpoint of the current tree (refusing an inconsistent one) and stores it. */
  async checkpoint(): Promise<SignedCheckpoint> {
    const { signer, signerState } = this.deps;
    if (signer === undefined || signerState === undefined) {
      throw new CustosError('KEY_MISSING', 'this process has no log signing key');
    }
    const signed = await signCheckpoint({ read: this.deps.store.read, signer, state: signerState });
    await this.transact(async (tx) => {
      const created = this.deps.now().toISOString();
      const existing = await tx.query('SELECT size FROM ledger_checkpoints WHERE size = ?', [signed.size]);
      if (existing.length === 0) {
        await tx.run('INSERT INTO ledger_checkpoints (size, note, created_at) VALUES (?, ?, ?)', [
          signed.size,
          signed.note,
          created,
        ]);
      }
    });
    return (await this.checkpointAt(signed.size)) ?? signed;
  }

  async latestCheckpoint(): Promise<StoredCheckpoint | undefined> {
    const rows = await this.deps.store.read.query<{ size: number; note: string }>(
      'SELECT size, note FROM ledger_checkpoints ORDER BY size DESC LIMIT 1',
    );
    return rows[0];
  }

  async checkpoints(): Promise<StoredCheckpoint[]> {
    return this.deps.store.read.query<{ size: number; note: string }>(
      'SELECT size, note FROM ledger_checkpoints ORDER BY size',
    );
  }

  async checkpointAt(size: number): Promise<SignedCheckpoint | undefined> {
    const rows = await this.deps.store.read.query<{ note: string }>(
      'SELECT note FROM ledger_checkpoints WHERE size = ?',
      [size],
    );
    const note = rows[0]?.note;
    if (note === undefined) return undefined;
    return { size, note, rootHash: parseCheckpoint(parseNote(note).text).rootHash };
  }

  /** Trusts a witness (cosignature/v1 verifier key) for this log; `url` is where to ask it. */
  async addWitness(verifierKey: string, url?: string): Promise<void> {
    const witness = parseVerifierKey(verifierKey);
    if (witness.type !== 'cosignature/v1') {
      throw new CustosError('VKEY_MALFORMED', 'a witness key must be a cosignature/v1 verifier key');
    }
    await this.transact(async (tx) => {
      await tx.run('DELETE FROM ledger_meta WHERE key = ?', [`witness:${witness.name}`]);
      await tx.run('INSERT INTO ledger_meta (key, value) VALUES (?, ?)', [
        `witness:${witness.name}`,
        JSON.stringify({ verifierKey: witness.verifierKey, url: url ?? null }),
      ]);
      await tx.append({
        type: 'ledger.witness_added',
        correlationId: 'ledger',
        actor: SYSTEM_ACTOR,
        subject: { kind: 'witness', id: witness.name },
        payload: { verifierKey: witness.verifierKey, url: url ?? null },
      });
    });
  }

  async witnesses(): Promise<{ verifierKey: string; url: string | null }[]> {
    const rows = await this.deps.store.read.query<{ value: string }>(
      "SELECT value FROM ledger_meta WHERE key LIKE 'witness:%' ORDER BY key",
    );
    return rows.map((r) => JSON.parse(r.value) as { verifierKey: string; url: string | null });
  }

  /** Stores witness cosignature lines with the checkpoint they cosign (verified by the caller). */
  async addCosignatures(size: number, lines: readonly string[]): Promise<void> {
    await this.transact(async (tx) => {
      const rows = await tx.query<{ note: string }>('SELECT note FROM ledger_checkpoints WHERE size = ?', [
        size,
      ]);
      const note = rows[0]?.note;
      if (note === undefined) throw new CustosError('CHECKPOINT_MISSING', `no checkpoint at size ${size}`);
      await tx.run('UPDATE ledger_checkpoints SET note = ? WHERE size = ?', [
        addCosignatures(note, lines),
        size,
      ]);
    });
  }

  /**
   * Retention: deletes record bytes below `below` and every tree node no later proof can need
   * (a node is kept while its parent's range reaches `below` or beyond), recording the pruning in
   * the ledger. Inclusion proofs for records >= below and consistency proofs from sizes >= below
   * stay valid; checkpoints stay verifiable.
   */
  async prune(below: number, actor: Actor): Promise<AppendedRecord> {
    const { records } = await this.transact(async (tx) => {
      const [head] = await tx.query<{ size: number; pruned_below: number }>(
        'SELECT size, pruned_below FROM ledger_head WHERE id = 1',
      );
      if (head === undefined) throw new CustosError('NOT_INITIALISED', 'the ledger has not been created');
      if (!Number.isSafeInteger(below) || below <= head.pruned_below || below > head.size) {
        throw new CustosError('INPUT_INVALID', `prune point must be in (${head.pruned_below}, ${head.size}]`);
      }
      await tx.run('DELETE FROM ledger_records WHERE idx < ?', [below]);
      for (let level = 0; 2 ** (level + 1) <= below; level++) {
        const keepFrom = 2 * Math.floor(below / 2 ** (level + 1));
        await tx.run('DELETE FROM ledger_nodes WHERE level = ? AND idx < ?', [level, keepFrom]);
      }
      await tx.run('UPDATE ledger_head SET pruned_below = ? WHERE id = 1', [below]);
      await tx.append({
        type: 'ledger.pruned',
        correlationId: 'ledger',
        actor,
        subject: { kind: 'ledger', id: 'records' },
        payload: { below, previous: head.pruned_below },
      });
    });
    return records[0]!;
  }
}
