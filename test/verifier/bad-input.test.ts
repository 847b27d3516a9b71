/** Bad input to the offline verifier: a clear, stable code — never a crash, never a pass. */
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { exportLedger } from '../../src/evidence/ledger-export.js';
import { readExportDir, verifyBundle, parseTlogProof, type ExportBundle } from '../../src/verifier/index.js';
import { generateNoteKey } from '../../src/ledger/note/index.js';
import { createTestLedger, draft, storeKinds, tempDir } from '../support/stores.js';

let full: string;
let range: string;
let logKey: string;

beforeAll(async () => {
  const t = await createTestLedger(storeKinds()[0]!, 'test.custos/bad-input');
  await Promise.all(Array.from({ length: 200 }, (_, i) => t.ledger.append(draft(i))));
  await t.ledger.checkpoint();
  full = path.join(tempDir(), 'full');
  range = path.join(tempDir(), 'range');
  await exportLedger(t.ledger, { outDir: full, now: () => new Date() });
  await exportLedger(t.ledger, { outDir: range, from: 50, to: 60, now: () => new Date() });
  logKey = t.verifierKey;
  await t.close();
});

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return (e as { code?: string }).code ?? `not coded: ${String(e)}`;
  }
  return 'passed';
}

const edit = (dir: string, fn: (b: ExportBundle) => ExportBundle) => () =>
  verifyBundle(fn(readExportDir(dir)), { log: logKey });

describe('offline verifier bad input', () => {
  it('verifies the untouched full and range exports', () => {
    expect(verifyBundle(readExportDir(full), { log: logKey }).records).toBe(201);
    const r = verifyBundle(readExportDir(range), { log: logKey });
    expect([r.kind, r.from, r.to, r.records]).toEqual(['range', 50, 60, 10]);
  });

  it('a malformed export', () => {
    const dir = tempDir();
    expect(code(() => readExportDir(dir))).toBe('EXPORT_MALFORMED');
    fs.cpSync(full, dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'manifest.json'), '{"format":"other"}');
    expect(code(() => readExportDir(dir))).toBe('EXPORT_MALFORMED');
    fs.writeFileSync(path.join(dir, 'manifest.json'), 'not json');
    expect(code(() => readExportDir(dir))).toBe('EXPORT_MALFORMED');
    expect(code(edit(full, (b) => ({ ...b, records: b.records.subarray(0, b.records.length - 1) })))).toBe(
      'EXPORT_MALFORMED',
    );
  });

  it('a non-canonical record, or not JSON at all', () => {
    const swap = (from: string, to: string) =>
      edit(full, (b) => ({
        ...b,
        records: Buffer.from(Buffer.from(b.records).toString().replace(from, to)),
      }));
    expect(code(swap('{"actor"', '{ "actor"'))).toBe('RECORD_NONCANONICAL');
    expect(code(swap('{"actor"', '{"actor":1,"actor"'))).toBe('RECORD_NONCANONICAL');
    expect(code(swap('{"actor"', '{actor'))).toBe('RECORD_MALFORMED');
    expect(code(swap('"v":1', '"v":2'))).toBe('RECORD_MALFORMED');
  });

  it('a wrong-length hash, in a prefix or a proof', () => {
    expect(code(edit(full, (b) => ({ ...b, manifest: { ...b.manifest, prefix: ['AAAA'] } })))).toBe(
      'HASH_LENGTH_INVALID',
    );
    const text = fs.readFileSync(path.join(range, 'proofs', '55.tlog-proof'), 'utf8');
    const short = text.replace(/\nindex 55\n([A-Za-z0-9+/=]+)\n/, '\nindex 55\nAAAA\n');
    expect(code(() => parseTlogProof(short))).toBe('HASH_LENGTH_INVALID');
  });

  it('an unknown key or a malformed key', () => {
    const other = generateNoteKey('test.custos/bad-input').verifierKey;
    expect(code(() => verifyBundle(readExportDir(full), { log: other }))).toBe('CHECKPOINT_SIGNER_UNKNOWN');
    expect(code(() => verifyBundle(readExportDir(full), { log: 'not a key' }))).toBe('VKEY_MALFORMED');
  });

  it('a truncated note', () => {
    expect(
      code(edit(full, (b) => ({ ...b, checkpoint: b.checkpoint.slice(0, b.checkpoint.length - 20) }))),
    ).toMatch(/^NOTE_/);
    expect(code(edit(full, (b) => ({ ...b, checkpoint: b.checkpoint.split('\n\n')[0]! })))).toBe(
      'NOTE_MALFORMED',
    );
  });

  it('a proof for an index beyond the tree', () => {
    const proofs = new Map<number, string>();
    const bundle = readExportDir(range);
    for (const [i, text] of bundle.proofs)
      proofs.set(i, text.replace(`index ${i}\n`, `index ${i + 10_000}\n`));
    expect(code(() => verifyBundle({ ...bundle, proofs }, { log: logKey }))).toBe('PROOF_MALFORMED');
    const beyond = { ...bundle.manifest, to: bundle.manifest.treeSize + 5 };
    expect(code(() => verifyBundle({ ...bundle, manifest: beyond }, { log: logKey }))).toBe(
      'EXPORT_MALFORMED',
    );
  });

  it('a tampered inclusion proof in a range export', () => {
    const bundle = readExportDir(range);
    const proofs = new Map(bundle.proofs);
    const text = proofs.get(57)!;
    proofs.set(
      57,
      text.replace(/\nindex 57\n(.)/, (_m, c: string) => `\nindex 57\n${c === 'A' ? 'B' : 'A'}`),
    );
    expect(code(() => verifyBundle({ ...bundle, proofs }, { log: logKey }))).toBe('PROOF_ROOT_MISMATCH');
  });
});
