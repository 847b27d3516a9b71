/**
 * The parallel verifier (worker threads) reports exactly what the sequential verifyBundle reports:
 * the same report for a good export, and for every tampering the same error — code, message and
 * details.index, the first bad index — however records.jsonl is cut into chunks. Tiny chunks (a
 * few records, or one) put chunk boundaries everywhere.
 */
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { exportLedger } from '../../src/evidence/ledger-export.js';
import { canonicalize } from '../../src/core/canonical-json.js';
import { decodeBase64Strict, encodeBase64 } from '../../src/core/bytes.js';
import { leafHash } from '../../src/ledger/merkle/index.js';
import type { RecordRef } from '../../src/ledger/record.js';
import {
  readExportDir,
  verifyBundle,
  verifyBundleParallel,
  verifyExportDir,
  type ExportBundle,
  type ParallelOptions,
} from '../../src/verifier/index.js';
import {
  PREV_DECODED,
  PREV_UNDECODABLE,
  RecordChain,
  type DecodedRecords,
} from '../../src/verifier/record-chain.js';
import {
  ChunkResults,
  decodeChunk,
  decodeHashInto,
  leafHashInto,
} from '../../src/verifier/parallel-chunk.js';
import { createTestLedger, draft, storeKinds, tempDir } from '../support/stores.js';

const N = 3000;
let full: string;
let pruned: string;
let range: string;
let logKey: string;

beforeAll(async () => {
  const t = await createTestLedger(storeKinds()[0]!, 'test.custos/parallel');
  const leaves: { index: number; leafHash: Uint8Array }[] = [];
  const append = async (i: number): Promise<void> => {
    // Every 7th record refers to two earlier ones (one of them below the later prune point).
    const refs: RecordRef[] =
      i % 7 === 3 && leaves.length > 20
        ? [leaves[i % 17]!, leaves[leaves.length - 5]!].map((l) => ({
            index: l.index,
            leafHash: encodeBase64(l.leafHash),
          }))
        : [];
    const appended = await t.ledger.append({ ...draft(i, `run-${i % 13}`), refs });
    leaves.push({ index: appended.index, leafHash: appended.leafHash });
  };
  for (let i = 1; i < N; i += 100) {
    await Promise.all(Array.from({ length: Math.min(100, N - i) }, (_, k) => append(i + k)));
    if (i === 901 || i === 2001) await t.ledger.checkpoint();
  }
  await t.ledger.checkpoint();
  full = path.join(tempDir(), 'full');
  await exportLedger(t.ledger, { outDir: full, now: () => new Date() });
  range = path.join(tempDir(), 'range');
  await exportLedger(t.ledger, { outDir: range, from: 100, to: 140, now: () => new Date() });
  await t.ledger.prune(1100, { kind: 'human', id: 'auditor' });
  await t.ledger.checkpoint();
  pruned = path.join(tempDir(), 'pruned');
  await exportLedger(t.ledger, { outDir: pruned, now: () => new Date() });
  logKey = t.verifierKey;
  await t.close();
}, 120_000);

type Outcome =
  | { ok: unknown }
  | { code: string | undefined; message: string; details: unknown; custos: boolean; progress?: unknown };

async function outcome(fn: () => unknown): Promise<Outcome> {
  try {
    return { ok: await fn() };
  } catch (e) {
    const err = e as { code?: string; message: string; details?: unknown; name?: string };
    return { code: err.code, message: err.message, details: err.details, custos: err.name === 'CustosError' };
  }
}

const SMALL: ParallelOptions = { workers: 2, chunkBytes: 2048, minRecords: 0 };

/** The sequential and the parallel outcome for a bundle (in memory) must be identical. */
async function same(bundle: ExportBundle, options: ParallelOptions = SMALL): Promise<Outcome> {
  const sequential = await outcome(() => verifyBundle(bundle, { log: logKey }));
  const parallel = await outcome(() => verifyBundleParallel(bundle, { log: logKey }, undefined, options));
  expect(parallel).toEqual(sequential);
  return sequential;
}

const readLines = (dir: string): string[] =>
  fs.readFileSync(path.join(dir, 'records.jsonl'), 'utf8').split('\n').slice(0, -1);

function withLines(ls: readonly string[], trailingNewline = true): ExportBundle {
  const bundle = readExportDir(full);
  const text = ls.join('\n') + (trailingNewline ? '\n' : '');
  return { ...bundle, records: Buffer.from(text) };
}

/** Changes the payload digit of line i (still canonical: its leaf hash changes). */
function flip(line: string): string {
  const record = JSON.parse(line) as { payload: { i: number } };
  record.payload.i += 1;
  return canonicalize(record);
}

function expectError(o: Outcome, code: string, index?: number): void {
  expect(o).toMatchObject({ code, custos: true });
  if (index !== undefined) expect(o).toMatchObject({ details: { index } });
}

/** The lines that end a chunk when records.jsonl is cut as parallel.ts cuts it (chunkBytes). */
function chunkEnds(ls: readonly string[], chunkBytes: number): number[] {
  const ends: number[] = [];
  let chunkStart = 0;
  let at = 0;
  ls.forEach((l, i) => {
    at += Buffer.byteLength(l) + 1;
    if (at - chunkStart >= chunkBytes) {
      ends.push(i);
      chunkStart = at;
    }
  });
  return ends;
}

describe('parallel verifier: same report', () => {
  it('verifies the untouched exports, full and pruned, whatever the chunk size', async () => {
    for (const dir of [full, pruned]) {
      const bundle = readExportDir(dir);
      const o = await same(bundle);
      expect(o).toMatchObject({ ok: { kind: 'full', records: bundle.manifest.to - bundle.manifest.from } });
      for (const chunkBytes of [1, 333, 65536, 1 << 20]) await same(bundle, { ...SMALL, chunkBytes });
      await same(bundle, { ...SMALL, workers: 1 });
      await same(bundle, { ...SMALL, workers: 5 });
    }
    expect(await same(readExportDir(pruned))).toMatchObject({ ok: { from: 1100 } });
    expect(await same(readExportDir(full))).toMatchObject({ ok: { from: 0, checkpoints: 3 } });
  });

  it('reads the directory itself (verifyExportDir) with the same report', async () => {
    for (const dir of [full, pruned]) {
      const sequential = verifyBundle(readExportDir(dir), { log: logKey });
      expect(await verifyExportDir(dir, { log: logKey }, undefined, SMALL)).toEqual(sequential);
      expect(await verifyExportDir(dir, { log: logKey }, undefined, { ...SMALL, chunkBytes: 100 })).toEqual(
        sequential,
      );
      expect(await verifyExportDir(dir, undefined, undefined, SMALL)).toEqual(
        verifyBundle(readExportDir(dir)),
      );
    }
  });

  it('shares records held in a SharedArrayBuffer instead of copying them', async () => {
    const bundle = readExportDir(full);
    const shared = new Uint8Array(new SharedArrayBuffer(bundle.records.length + 3), 3);
    shared.set(bundle.records);
    expect(await same({ ...bundle, records: shared })).toMatchObject({ ok: { records: N } });
    const ls = readLines(full);
    ls[1500] = flip(ls[1500]!);
    const tampered = Buffer.from(ls.map((l) => `${l}\n`).join(''));
    const sharedTampered = new Uint8Array(new SharedArrayBuffer(tampered.length));
    sharedTampered.set(tampered);
    expectError(await same({ ...bundle, records: sharedTampered }), 'RECORD_CHAIN_BROKEN', 1500);
  });

  it('reports progress as the sequential verifier does', async () => {
    const bundle = readExportDir(full);
    const seen: [number, number][] = [];
    const parallel: [number, number][] = [];
    verifyBundle(bundle, { log: logKey }, (d, t) => seen.push([d, t]));
    await verifyBundleParallel(bundle, { log: logKey }, (d, t) => parallel.push([d, t]), SMALL);
    expect(parallel).toEqual(seen);
    expect(seen.at(-1)).toEqual([N, N]);
  });

  it('runs its compiled worker from dist/, as the custos CLI does (npm test builds it first)', () => {
    const entry = path.resolve(import.meta.dirname, '../../dist/verifier/index.js');
    const script = `
      const { ENTRY, GOOD, BAD, KEY } = process.env;
      const v = await import(ENTRY);
      const options = { minRecords: 0, chunkBytes: 2048, workers: 2 };
      const good = await v.verifyExportDir(GOOD, { log: KEY }, undefined, options);
      const bad = await v.verifyExportDir(BAD, { log: KEY }, undefined, options).catch((e) => e);
      console.log(JSON.stringify([good, bad.code, bad.details]));`;
    const tampered = path.join(tempDir(), 'tampered');
    fs.cpSync(full, tampered, { recursive: true });
    const ls = readLines(full);
    ls[2345] = flip(ls[2345]!);
    fs.writeFileSync(path.join(tampered, 'records.jsonl'), ls.map((l) => `${l}\n`).join(''));
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      encoding: 'utf8',
      env: { ...process.env, ENTRY: pathToFileURL(entry).href, GOOD: full, BAD: tampered, KEY: logKey },
    });
    expect(run.status, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual([
      verifyBundle(readExportDir(full), { log: logKey }),
      'RECORD_CHAIN_BROKEN',
      { index: 2345 },
    ]);
  });

  it('leaves small and range exports to verifyBundle', async () => {
    const bundle = readExportDir(full);
    const report = await verifyBundleParallel(bundle, { log: logKey }); // default minRecords: sequential
    expect(report).toEqual(verifyBundle(bundle, { log: logKey }));
    expect(await same(readExportDir(range))).toMatchObject({ ok: { kind: 'range', records: 40 } });
    expect(await verifyExportDir(range, { log: logKey }, undefined, SMALL)).toMatchObject({ kind: 'range' });
  });
});

describe('parallel verifier: same first error for each tampering', () => {
  it('a flipped byte', async () => {
    const ls = readLines(full);
    ls[1234] = flip(ls[1234]!);
    expectError(await same(withLines(ls)), 'RECORD_CHAIN_BROKEN', 1234);
  });

  it('a deleted record', async () => {
    const ls = readLines(full);
    ls.splice(777, 1);
    expectError(await same(withLines(ls)), 'RECORD_INDEX_MISMATCH', 777);
  });

  it('a rewritten index field (prev intact)', async () => {
    for (const delta of [5, -5]) {
      const ls = readLines(full);
      const record = JSON.parse(ls[1600]!) as { index: number };
      record.index += delta;
      ls[1600] = canonicalize(record);
      expectError(await same(withLines(ls)), 'RECORD_INDEX_MISMATCH', delta > 0 ? 1600 : 1595);
    }
  });

  it('two swapped records', async () => {
    const ls = readLines(full);
    [ls[100], ls[2900]] = [ls[2900]!, ls[100]!];
    expectError(await same(withLines(ls)), 'RECORD_INDEX_MISMATCH', 100);
  });

  it('an inserted record, and a duplicated one', async () => {
    const ls = readLines(full);
    const forged = JSON.parse(ls[2000]!) as Record<string, unknown>;
    forged['payload'] = { i: -1, note: 'forged' };
    expectError(
      await same(withLines([...ls.slice(0, 2000), canonicalize(forged), ...ls.slice(2000)])),
      'RECORD_INDEX_MISMATCH',
      2000,
    );
    expectError(
      await same(withLines([...ls.slice(0, 2001), ls[1990]!, ...ls.slice(2001)])),
      'RECORD_INDEX_MISMATCH',
      1990,
    );
  });

  it('a truncated tail, a cut last line, an extra record', async () => {
    const ls = readLines(full);
    expectError(await same(withLines(ls.slice(0, ls.length - 10))), 'RECORD_MISSING', ls.length - 10);
    expectError(await same(withLines(ls, false)), 'EXPORT_MALFORMED');
    const cut = withLines(ls);
    expectError(
      await same({ ...cut, records: cut.records.subarray(0, cut.records.length - 30) }),
      'EXPORT_MALFORMED',
    );
    const extra = JSON.parse(ls.at(-1)!) as Record<string, unknown>;
    extra['index'] = ls.length;
    expectError(await same(withLines([...ls, canonicalize(extra)])), 'CHECKPOINT_SIZE_MISMATCH', ls.length);
    expectError(await same({ ...withLines([]), records: new Uint8Array(0) }), 'RECORD_MISSING', 0);
    expectError(await same(withLines([])), 'RECORD_MALFORMED', 0); // one empty line
  });

  it('a non-canonical record, not JSON, not UTF-8, an empty line, a bad envelope', async () => {
    const ls = readLines(full);
    const k = ls.findIndex((l, i) => i >= 50 && l.includes('"refs":[]'));
    const cases: [string, string][] = [
      [ls[k]!.replace('{', '{ '), 'RECORD_NONCANONICAL'],
      [ls[k]!.replace('{"actor"', '{actor'), 'RECORD_MALFORMED'],
      [ls[k]!.replace('"v":1', '"v":2'), 'RECORD_MALFORMED'],
      ['', 'RECORD_MALFORMED'],
      [ls[k]!.replace('"refs":[]', '"refs":[{"index":1,"leafHash":"x"}]'), 'RECORD_REF_INVALID'],
    ];
    for (const [line, code] of cases) {
      const copy = [...ls];
      copy[k] = line;
      expectError(await same(withLines(copy)), code, k);
    }
    const bytes = Buffer.from(ls.map((l) => `${l}\n`).join(''));
    const at = bytes.indexOf('"note":"', Buffer.byteLength(ls.slice(0, 60).join('\n')));
    bytes[at + 8] = 0xff; // record 60
    expectError(await same({ ...readExportDir(full), records: bytes }), 'RECORD_MALFORMED', 60);
  });

  it('a ref with a wrong leaf hash', async () => {
    const ls = readLines(full);
    const i = ls.findIndex((l, k) => k > 1500 && l.includes('"refs":[{'));
    const record = JSON.parse(ls[i]!) as { refs: RecordRef[] };
    record.refs = [{ ...record.refs[0]!, leafHash: encodeBase64(new Uint8Array(32)) }];
    ls[i] = canonicalize(record);
    expectError(await same(withLines(ls)), 'RECORD_REF_INVALID', i);
  });

  it('the last record altered: a root mismatch at the first uncovered index', async () => {
    const ls = readLines(full);
    ls[ls.length - 1] = flip(ls.at(-1)!);
    const o = await same(withLines(ls));
    expectError(o, 'CHECKPOINT_ROOT_MISMATCH');
    expect((o as { details: { index: number } }).details.index).toBeGreaterThan(2000);
  });

  it('a chain broken across a chunk boundary', async () => {
    const ls = readLines(full);
    const ends = chunkEnds(ls, SMALL.chunkBytes!);
    // The last record of a chunk (its successor starts the next one), flipped without changing its length.
    const last = ends.find((e) => e > 1000 && flip(ls[e]!).length === ls[e]!.length)!;
    expect(flip(ls[last + 1]!).length).toBe(ls[last + 1]!.length);
    const copy = [...ls];
    copy[last] = flip(copy[last]!);
    expectError(await same(withLines(copy)), 'RECORD_CHAIN_BROKEN', last);
    const first = last + 1; // the first record of a chunk
    const other = [...ls];
    other[first] = flip(other[first]!);
    expectError(await same(withLines(other)), 'RECORD_CHAIN_BROKEN', first);
    // A record moved to the start of the next chunk.
    const moved = [...ls];
    [moved[last], moved[first]] = [moved[first]!, moved[last]!];
    expectError(await same(withLines(moved)), 'RECORD_INDEX_MISMATCH', last);
  });

  it('two errors in different chunks: the lower index wins, whichever kind each is', async () => {
    const ls = readLines(full);
    const a = [...ls];
    a[300] = flip(a[300]!);
    a[2500] = a[2500]!.replace('{', '{ ');
    expectError(await same(withLines(a)), 'RECORD_CHAIN_BROKEN', 300);
    const b = [...ls];
    b[300] = b[300]!.replace('{', '{ ');
    b.splice(2500, 1);
    expectError(await same(withLines(b)), 'RECORD_NONCANONICAL', 300);
    const c = [...ls];
    c[2999] = 'not json';
    c.splice(10, 1);
    expectError(await same(withLines(c)), 'RECORD_INDEX_MISMATCH', 10);
    // Many errors, one chunk per record: still the first.
    const d = ls.map((l, i) => (i >= 40 && i % 50 === 40 ? l.replace('{', '{ ') : l));
    expectError(await same(withLines(d), { ...SMALL, chunkBytes: 1, workers: 3 }), 'RECORD_NONCANONICAL', 40);
  });

  it('lines only the main thread may judge: deeply nested, a byte order mark', async () => {
    const ls = readLines(full);
    const copy = [...ls];
    copy[70] = '{"payload":' + '['.repeat(20_000) + ']'.repeat(20_000) + '}';
    expect(await same(withLines(copy))).toMatchObject({ custos: true, details: { index: 70 } });
    const nested = [...ls];
    nested[71] = ls[71]!.replace('"payload":{', `"payload":{"a":${'['.repeat(1500)}${']'.repeat(1500)},`);
    expectError(await same(withLines(nested)), 'RECORD_CHAIN_BROKEN', 71);
    // A leading BOM: today fromUtf8 (TextDecoder) drops it, so both verifiers accept the record's
    // JSON and fail on the next record's prev (RECORD_CHAIN_BROKEN); were the BOM kept, both would
    // reject the line itself. Either way, at index 80 and the same in both.
    const bom = [...ls];
    bom[80] = `\uFEFF${bom[80]}`;
    expect(await same(withLines(bom))).toMatchObject({ custos: true, details: { index: 80 } });
  });

  it('verifyExportDir: the same errors from a tampered directory', async () => {
    const cases: [string, (ls: string[]) => string[], string, number | undefined][] = [
      ['flip', (ls) => ls.map((l, i) => (i === 1777 ? flip(l) : l)), 'RECORD_CHAIN_BROKEN', 1777],
      ['delete', (ls) => ls.filter((_, i) => i !== 55), 'RECORD_INDEX_MISMATCH', 55],
      ['truncate', (ls) => ls.slice(0, 2222), 'RECORD_MISSING', 2222],
    ];
    for (const [name, edit, code, index] of cases) {
      const dir = path.join(tempDir(), name);
      fs.cpSync(full, dir, { recursive: true });
      fs.writeFileSync(
        path.join(dir, 'records.jsonl'),
        edit(readLines(full))
          .map((l) => `${l}\n`)
          .join(''),
      );
      const sequential = await outcome(() => verifyBundle(readExportDir(dir), { log: logKey }));
      for (const chunkBytes of [1, 700, 1 << 20]) {
        const parallel = await outcome(() =>
          verifyExportDir(dir, { log: logKey }, undefined, { ...SMALL, chunkBytes }),
        );
        expect(parallel).toEqual(sequential);
      }
      expectError(sequential, code, index);
    }
    const cut = path.join(tempDir(), 'cut');
    fs.cpSync(full, cut, { recursive: true });
    fs.truncateSync(path.join(cut, 'records.jsonl'), fs.statSync(path.join(cut, 'records.jsonl')).size - 7);
    expectError(
      await outcome(() => verifyExportDir(cut, { log: logKey }, undefined, SMALL)),
      'EXPORT_MALFORMED',
    );
    const missing = path.join(tempDir(), 'missing');
    fs.cpSync(full, missing, { recursive: true });
    fs.rmSync(path.join(missing, 'records.jsonl'));
    const sequential = await outcome(() => readExportDir(missing));
    expect(await outcome(() => verifyExportDir(missing, { log: logKey }, undefined, SMALL))).toEqual(
      sequential,
    );
    fs.mkdirSync(path.join(missing, 'records.jsonl'));
    expect(await outcome(() => verifyExportDir(missing, { log: logKey }, undefined, SMALL))).toEqual(
      await outcome(() => readExportDir(missing)),
    );
  });
});

describe('the worker side', () => {
  it('decodes a hash exactly when decodeBase64Strict decodes it to 32 bytes', () => {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=-_ \u00e9';
    const check = (text: string): void => {
      const into = new Uint8Array(40);
      const state = decodeHashInto(text, into, 4);
      const strict = decodeBase64Strict(text);
      if (strict?.length === 32) {
        expect(state).toBe(PREV_DECODED);
        expect(Buffer.from(into.subarray(4, 36)).equals(Buffer.from(strict))).toBe(true);
      } else expect(state).toBe(PREV_UNDECODABLE);
    };
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.nat(44),
        fc.nat(alphabet.length - 1),
        (b, at, c) => {
          const good = encodeBase64(b);
          check(good);
          check(good.slice(0, at) + alphabet[c]! + good.slice(at + 1));
        },
      ),
      { numRuns: 20_000 },
    );
    for (const text of [
      '',
      'AAAA',
      `${'A'.repeat(42)}B=`,
      `${'A'.repeat(42)}E=`,
      `${'A'.repeat(42)}==`,
      'A'.repeat(44),
    ]) {
      check(text);
    }
  });

  it('hashes leaves as leafHash does', () => {
    for (const size of [0, 1, 433, 1023, 1024, 5000, 16 * 1024, 40_000]) {
      const line = crypto.randomBytes(size);
      const into = new Uint8Array(40);
      leafHashInto(line, into, 8);
      expect(Buffer.from(into.subarray(8, 40)).equals(Buffer.from(leafHash(line)))).toBe(true);
    }
  });

  it('decodes a chunk into what RecordChain.push would check, growing its buffers', () => {
    const records = readExportDir(full).records;
    const buffer = new ArrayBuffer(records.length);
    new Uint8Array(buffer).set(records);
    const done = decodeChunk({
      id: 7,
      buffer,
      offset: 0,
      length: records.length,
      results: new ArrayBuffer(81),
      refs: new ArrayBuffer(0),
    });
    expect([done.id, done.lines]).toEqual([7, N]);
    const r = new ChunkResults(done.results, done.refs);
    const chain = new RecordChain(0, [], 0);
    const reference = new RecordChain();
    const decoded: DecodedRecords = r;
    let start = 0;
    for (let j = 0; j < done.lines; j++) {
      expect(chain.absorb(decoded, j)).toBe(true);
      reference.push(records.subarray(start, r.ends[j]));
      start = r.ends[j]! + 1;
    }
    expect(chain.range.root()).toEqual(reference.range.root());
    expect(r.refEnd[N - 1]).toBeGreaterThan(700);
  });
});
