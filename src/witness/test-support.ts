/**
 * Test helper (not part of the witness API): a tiny in-memory log that signs checkpoints and serves
 * RFC 6962 consistency proofs assembled from the perfect node hashes its CompactRange reports.
 */
import { utf8 } from '../core/bytes.js';
import { CompactRange, EMPTY_ROOT, leafHash, nodeKey, planConsistency } from '../ledger/merkle/index.js';
import { formatCheckpoint, generateNoteKey, parseSignerKey, signNote } from '../ledger/note/index.js';
import type { NoteSigner } from '../ledger/note/index.js';

export class TestLog {
  readonly signer: NoteSigner;
  readonly #range = new CompactRange();
  readonly #nodes = new Map<string, Uint8Array>();
  readonly #roots: Uint8Array[] = [EMPTY_ROOT];

  /** `leafPrefix` varies the leaves, so two logs with one key can fork. */
  constructor(
    origin: string,
    signerKey = generateNoteKey(origin).signerKey,
    private readonly leafPrefix = 'leaf',
  ) {
    this.signer = parseSignerKey(signerKey);
  }

  get size(): number {
    return this.#range.size;
  }

  get verifierKey(): string {
    return this.signer.verifierKey;
  }

  append(count: number): this {
    for (let i = 0; i < count; i++) {
      const nodes = this.#range.append(leafHash(utf8(`${this.leafPrefix} ${this.#range.size}`)));
      for (const node of nodes) this.#nodes.set(nodeKey(node), node.hash);
      this.#roots.push(this.#range.root());
    }
    return this;
  }

  root(size = this.size): Uint8Array {
    const root = this.#roots[size];
    if (root === undefined) throw new RangeError(`no tree of size ${size}`);
    return root;
  }

  proof(size1: number, size2 = this.size): Uint8Array[] {
    if (size1 === 0 || size1 === size2) return [];
    const plan = planConsistency(size1, size2);
    return plan.assemble(plan.reads.map((id) => this.#nodes.get(nodeKey(id))!));
  }

  /** A signed checkpoint of the tree at `size`, optionally with another root or signer. */
  checkpoint(size = this.size, options: { rootHash?: Uint8Array; signer?: NoteSigner } = {}): string {
    const rootHash = options.rootHash ?? this.root(size);
    return signNote(formatCheckpoint({ origin: this.signer.name, size, rootHash }), [
      options.signer ?? this.signer,
    ]);
  }
}
