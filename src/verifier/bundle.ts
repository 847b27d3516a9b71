/** The export bundle format, version 1 (see docs/ledger-export.md). */
import { CustosError } from '../core/errors.js';

export const EXPORT_FORMAT = 'custos-ledger-export@v1';

export interface ExportManifest {
  readonly format: typeof EXPORT_FORMAT;
  readonly origin: string;
  /** `full`: every stored record [from, treeSize); `range`: [from, to) with an inclusion proof each. */
  readonly kind: 'full' | 'range';
  readonly from: number;
  readonly to: number;
  readonly treeSize: number;
  /** Compact range of [0, from): the perfect subtree hashes, base64, left to right. */
  readonly prefix: readonly string[];
  readonly createdAt: string;
}

export interface CarriedCheckpoint {
  readonly size: number;
  readonly note: string;
}

/** An export held in memory. `records` is records.jsonl: each line's bytes are one leaf's data. */
export interface ExportBundle {
  readonly manifest: ExportManifest;
  readonly records: Uint8Array;
  readonly checkpoint: string;
  readonly olderCheckpoints: readonly CarriedCheckpoint[];
  /** Consistency proofs between successive carried checkpoints, keyed `${size1}-${size2}`. */
  readonly consistency: ReadonlyMap<string, readonly Uint8Array[]>;
  /** Range exports: tlog-proof@v1 text per record index. */
  readonly proofs: ReadonlyMap<number, string>;
  readonly keys: { readonly log: string; readonly witnesses: readonly string[] };
}

const SAFE = (n: unknown): n is number => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;

/** Validates a manifest parsed from attacker-controlled JSON. */
export function checkManifest(value: unknown): ExportManifest {
  const bad = (why: string): CustosError => new CustosError('EXPORT_MALFORMED', `manifest: ${why}`);
  if (typeof value !== 'object' || value === null) throw bad('not an object');
  const m = value as Record<string, unknown>;
  if (m['format'] !== EXPORT_FORMAT) throw bad(`format is not ${EXPORT_FORMAT}`);
  if (typeof m['origin'] !== 'string' || m['origin'] === '') throw bad('origin missing');
  if (m['kind'] !== 'full' && m['kind'] !== 'range') throw bad('kind must be full or range');
  if (!SAFE(m['from']) || !SAFE(m['to']) || !SAFE(m['treeSize']))
    throw bad('from, to and treeSize must be integers');
  if (!(m['from'] <= m['to'] && m['to'] <= m['treeSize'])) throw bad('requires from <= to <= treeSize');
  if (m['kind'] === 'full' && m['to'] !== m['treeSize']) throw bad('a full export ends at treeSize');
  if (!Array.isArray(m['prefix']) || !m['prefix'].every((h) => typeof h === 'string'))
    throw bad('prefix must be a list');
  if (typeof m['createdAt'] !== 'string') throw bad('createdAt missing');
  return m as unknown as ExportManifest;
}
