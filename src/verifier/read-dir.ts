/**
 * Reads an export directory into memory. The only module of the verifier that touches the file
 * system (node:fs); everything else needs node:crypto only.
 */
import fs from 'node:fs';
import path from 'node:path';
import { CustosError } from '../core/errors.js';
import { decodeBase64Strict } from '../core/bytes.js';
import { checkManifest, type CarriedCheckpoint, type ExportBundle } from './bundle.js';

function readText(file: string, what: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (cause) {
    throw new CustosError('EXPORT_MALFORMED', `export is missing ${what}`, { cause });
  }
}

function listDir(dir: string): string[] {
  return fs.existsSync(dir) ? fs.readdirSync(dir).sort() : [];
}

/**
 * Reads an export directory: manifest.json first, then records.jsonl through `openRecords` (its
 * bytes, or an open descriptor for the parallel verifier), then the rest. `release` undoes
 * `openRecords` if a later file is missing or malformed.
 */
export function readExportParts<R>(
  dir: string,
  openRecords: (file: string) => R,
  release: (records: R) => void = () => undefined,
): { head: Omit<ExportBundle, 'records'>; records: R } {
  let manifest: unknown;
  try {
    manifest = JSON.parse(readText(path.join(dir, 'manifest.json'), 'manifest.json'));
  } catch (cause) {
    if (cause instanceof CustosError) throw cause;
    throw new CustosError('EXPORT_MALFORMED', 'manifest.json is not JSON', { cause });
  }
  const records = openRecords(path.join(dir, 'records.jsonl'));
  try {
    return { head: readRest(dir, manifest), records };
  } catch (e) {
    release(records);
    throw e;
  }
}

export function readExportDir(dir: string): ExportBundle {
  const { head, records } = readExportParts(dir, (file) => {
    try {
      return fs.readFileSync(file);
    } catch (cause) {
      throw new CustosError('EXPORT_MALFORMED', 'export is missing records.jsonl', { cause });
    }
  });
  return { ...head, records };
}

function readRest(dir: string, manifest: unknown): Omit<ExportBundle, 'records'> {
  const olderCheckpoints: CarriedCheckpoint[] = listDir(path.join(dir, 'checkpoints'))
    .filter((f) => /^\d+\.checkpoint$/.test(f))
    .map((f) => ({ size: Number(f.split('.')[0]), note: readText(path.join(dir, 'checkpoints', f), f) }));
  const consistency = new Map<string, Uint8Array[]>();
  for (const f of listDir(path.join(dir, 'consistency'))) {
    const match = /^(\d+-\d+)\.proof$/.exec(f);
    if (!match) continue;
    const hashes = readText(path.join(dir, 'consistency', f), f)
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => {
        const h = decodeBase64Strict(l);
        if (h === undefined) throw new CustosError('PROOF_MALFORMED', `${f}: a line is not base64`);
        return h;
      });
    consistency.set(match[1]!, hashes);
  }
  const proofs = new Map<number, string>();
  for (const f of listDir(path.join(dir, 'proofs'))) {
    const match = /^(\d+)\.tlog-proof$/.exec(f);
    if (match) proofs.set(Number(match[1]), readText(path.join(dir, 'proofs', f), f));
  }
  const witnesses = listDir(path.join(dir, 'keys', 'witnesses'))
    .filter((f) => f.endsWith('.vkey'))
    .map((f) => readText(path.join(dir, 'keys', 'witnesses', f), f).trim());
  return {
    manifest: checkManifest(manifest),
    checkpoint: readText(path.join(dir, 'checkpoint'), 'checkpoint'),
    olderCheckpoints,
    consistency,
    proofs,
    keys: { log: readText(path.join(dir, 'keys', 'log.vkey'), 'keys/log.vkey').trim(), witnesses },
  };
}
