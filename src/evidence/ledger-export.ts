/**
 * Writes a ledger export bundle (docs/ledger-export.md): records.jsonl (a line's bytes are exactly
 * that leaf's data), the latest signed checkpoint with its cosignatures, older checkpoints with
 * consistency proofs between them, the verifier keys, and for a range export one
 * c2sp.org/tlog-proof@v1 inclusion proof per record.
 */
import fs from 'node:fs';
import path from 'node:path';
import { CustosError } from '../core/errors.js';
import { canonicalize } from '../core/canonical-json.js';
import { encodeBase64 } from '../core/bytes.js';
import { decompose } from '../ledger/merkle/index.js';
import { fetchNodes, readRecords } from '../ledger/ledger-reader.js';
import type { Ledger } from '../ledger/ledger.js';
import { EXPORT_FORMAT, type ExportManifest } from '../verifier/bundle.js';
import { formatTlogProof } from '../verifier/tlog-proof.js';

export interface ExportOptions {
  readonly outDir: string;
  /** A range export of [from, to); omit both for a full export. */
  readonly from?: number;
  readonly to?: number;
  readonly witnessKeys?: readonly string[];
  readonly now: () => Date;
  readonly onProgress?: (done: number, total: number) => void;
}

export async function exportLedger(ledger: Ledger, options: ExportOptions): Promise<ExportManifest> {
  const { outDir } = options;
  if (fs.existsSync(outDir) && fs.readdirSync(outDir).length > 0) {
    throw new CustosError('EXPORT_TARGET_EXISTS', `${outDir} exists and is not empty`);
  }
  const info = await ledger.info();
  const latest = await ledger.latestCheckpoint();
  if (latest === undefined)
    throw new CustosError('CHECKPOINT_MISSING', 'no signed checkpoint yet: run `custos ledger checkpoint`');
  const manifest = await planManifest(ledger, info.origin, info.prunedBelow, latest.size, options);
  const write = (rel: string, data: string | Uint8Array): void => {
    fs.mkdirSync(path.dirname(path.join(outDir, rel)), { recursive: true });
    fs.writeFileSync(path.join(outDir, rel), data);
  };
  write('checkpoint', latest.note);
  write('keys/log.vkey', `${info.verifierKey}\n`);
  const witnessKeys = [
    ...(await ledger.witnesses()).map((w) => w.verifierKey),
    ...(options.witnessKeys ?? []),
  ];
  [...new Set(witnessKeys)].forEach((k, i) => {
    write(`keys/witnesses/witness-${i}.vkey`, `${k}\n`);
  });
  if (manifest.kind === 'full') await writeOlderCheckpoints(ledger, manifest, write);
  await writeRecords(ledger, manifest, path.join(outDir, 'records.jsonl'), options.onProgress);
  if (manifest.kind === 'range') {
    for (let index = manifest.from; index < manifest.to; index++) {
      const proof = await ledger.inclusionProof(index, manifest.treeSize);
      write(`proofs/${index}.tlog-proof`, formatTlogProof({ index, proof, checkpoint: latest.note }));
    }
  }
  write('manifest.json', `${canonicalize(manifest)}\n`);
  return manifest;
}

async function planManifest(
  ledger: Ledger,
  origin: string,
  prunedBelow: number,
  treeSize: number,
  options: ExportOptions,
): Promise<ExportManifest> {
  const range = options.from !== undefined || options.to !== undefined;
  const from = options.from ?? prunedBelow;
  const to = range ? (options.to ?? treeSize) : treeSize;
  if (!Number.isSafeInteger(from) || !Number.isSafeInteger(to) || from < 0 || from >= to || to > treeSize) {
    throw new CustosError(
      'INPUT_INVALID',
      `range [${from}, ${to}) is not within the signed tree of ${treeSize}`,
    );
  }
  if (from < prunedBelow) throw new CustosError('LEDGER_PRUNED', `records below ${prunedBelow} were pruned`);
  const prefix = (await fetchNodes(ledger.store.read, decompose(0, from))).map(encodeBase64);
  return {
    format: EXPORT_FORMAT,
    origin,
    kind: range ? 'range' : 'full',
    from,
    to,
    treeSize,
    prefix,
    createdAt: options.now().toISOString(),
  };
}

async function writeOlderCheckpoints(
  ledger: Ledger,
  manifest: ExportManifest,
  write: (rel: string, data: string) => void,
): Promise<void> {
  const sizes = (await ledger.checkpoints())
    .filter((c) => c.size >= Math.max(1, manifest.from) && c.size <= manifest.treeSize)
    .map((c) => c.size);
  for (let i = 0; i < sizes.length; i++) {
    const size = sizes[i]!;
    if (size < manifest.treeSize)
      write(`checkpoints/${size}.checkpoint`, (await ledger.checkpointAt(size))!.note);
    if (i > 0) {
      const proof = await ledger.consistencyProof(sizes[i - 1]!, size);
      write(`consistency/${sizes[i - 1]}-${size}.proof`, proof.map((h) => `${encodeBase64(h)}\n`).join(''));
    }
  }
}

async function writeRecords(
  ledger: Ledger,
  manifest: ExportManifest,
  file: string,
  onProgress?: (done: number, total: number) => void,
): Promise<void> {
  const fd = fs.openSync(file, 'w');
  const newline = Buffer.from('\n');
  try {
    let chunk: Uint8Array[] = [];
    let done = 0;
    const total = manifest.to - manifest.from;
    for await (const record of readRecords(ledger.store.read, manifest.from, manifest.to)) {
      if (record.index !== manifest.from + done) {
        throw new CustosError('RECORD_MISSING', `stored record ${manifest.from + done} is missing`, {
          details: { index: manifest.from + done },
        });
      }
      chunk.push(record.bytes, newline);
      if (++done % 8192 === 0) {
        fs.writeSync(fd, Buffer.concat(chunk));
        chunk = [];
        onProgress?.(done, total);
      }
    }
    if (done !== total) {
      throw new CustosError('RECORD_MISSING', `stored record ${manifest.from + done} is missing`, {
        details: { index: manifest.from + done },
      });
    }
    fs.writeSync(fd, Buffer.concat(chunk));
    onProgress?.(done, total);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}
