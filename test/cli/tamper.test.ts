/**
 * Tampering with a ledger of 10,000 records is caught by `custos ledger verify` (the live store)
 * and by `custos verify DIR` (an export, offline), each naming the right code and first bad index.
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/index.js';
import { openCustos } from '../../src/main.js';
import { cosign, generateNoteKey, parseNote, parseSignerKey, signNote } from '../../src/ledger/note/index.js';
import { canonicalize } from '../../src/core/canonical-json.js';
import { custos } from '../support/cli.js';
import { draft, tempDir } from '../support/stores.js';

const N = 10_000;
const ORIGIN = 'test.custos/tamper';
let base: string;
let exportDir: string;
let logKey: string;
const witness = generateNoteKey('witness.test/w1', 'cosignature/v1');
const stranger = generateNoteKey('witness.test/stranger', 'cosignature/v1');
const otherLog = generateNoteKey(ORIGIN);
let midSize = 0;

beforeAll(async () => {
  base = tempDir();
  const dataDir = path.join(base, 'data');
  const init = custos(['init', '--data-dir', dataDir, '--origin', ORIGIN]);
  expect(init.code, init.stderr).toBe(0);
  logKey = init.stdout.trim();
  const app = await openCustos(parseConfig({ env: {}, flags: { 'data-dir': dataDir }, cwd: base }));
  await app.ledger.addWitness(witness.verifierKey);
  await Promise.all(Array.from({ length: N / 2 }, (_, i) => app.ledger.append(draft(i, `run-${i % 97}`))));
  midSize = (await app.ledger.checkpoint()).size;
  await Promise.all(Array.from({ length: N / 2 }, (_, i) => app.ledger.append(draft(i, `run-${i % 89}`))));
  const cp = await app.ledger.checkpoint();
  await app.ledger.addCosignatures(cp.size, [
    cosign(parseNote(cp.note).text, parseSignerKey(witness.signerKey), 1_700_000_000),
  ]);
  await app.close();
  exportDir = path.join(base, 'export');
  const exp = custos(['ledger', 'export', '--data-dir', dataDir, '--out', exportDir]);
  expect(exp.code, exp.stderr).toBe(0);
}, 120_000);

function copyOf(dir: string, name: string): string {
  const target = path.join(base, name);
  fs.cpSync(dir, target, { recursive: true });
  return target;
}

function expectFailure(result: { code: number; stderr: string }, code: string, index?: number): void {
  expect(result.code, result.stderr).toBe(1);
  expect(result.stderr).toContain(`error ${code}:`);
  if (index !== undefined) expect(result.stderr).toContain(`first bad index: ${index})`);
}

describe('offline: custos verify DIR', () => {
  const verify = (dir: string) => custos(['verify', dir, '--key', logKey, '--witness', witness.verifierKey]);
  const lines = (dir: string) =>
    fs.readFileSync(path.join(dir, 'records.jsonl'), 'utf8').split('\n').slice(0, -1);
  const writeLines = (dir: string, ls: string[]) => {
    fs.writeFileSync(path.join(dir, 'records.jsonl'), ls.map((l) => `${l}\n`).join(''));
  };

  it('passes on the untouched export, with its witness', () => {
    const r = verify(exportDir);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`${N + 2} records`);
    expect(r.stdout).toContain('witness.test/w1');
  });

  it('a flipped byte in a record', () => {
    const dir = copyOf(exportDir, 'x-flip');
    const ls = lines(dir);
    ls[4321] = ls[4321]!.replace('"note":"a record', '"note":"b record');
    writeLines(dir, ls);
    expectFailure(verify(dir), 'RECORD_CHAIN_BROKEN', 4321);
  });

  it('a deleted record', () => {
    const dir = copyOf(exportDir, 'x-delete');
    const ls = lines(dir);
    ls.splice(777, 1);
    writeLines(dir, ls);
    expectFailure(verify(dir), 'RECORD_INDEX_MISMATCH', 777);
  });

  it('two swapped records', () => {
    const dir = copyOf(exportDir, 'x-swap');
    const ls = lines(dir);
    [ls[100], ls[9000]] = [ls[9000]!, ls[100]!];
    writeLines(dir, ls);
    expectFailure(verify(dir), 'RECORD_INDEX_MISMATCH', 100);
  });

  it('a truncated tail', () => {
    const dir = copyOf(exportDir, 'x-truncate');
    const ls = lines(dir);
    writeLines(dir, ls.slice(0, ls.length - 10));
    expectFailure(verify(dir), 'RECORD_MISSING', ls.length - 10);
  });

  it('an inserted record', () => {
    const dir = copyOf(exportDir, 'x-insert');
    const ls = lines(dir);
    const forged = JSON.parse(ls[2000]!) as Record<string, unknown>;
    forged['payload'] = { i: -1, note: 'forged' };
    ls.splice(2000, 0, canonicalize(forged));
    writeLines(dir, ls);
    expectFailure(verify(dir), 'RECORD_INDEX_MISMATCH', 2000);
  });

  it('a non-canonical record', () => {
    const dir = copyOf(exportDir, 'x-noncanonical');
    const ls = lines(dir);
    ls[50] = ls[50]!.replace('{', '{ ');
    writeLines(dir, ls);
    expectFailure(verify(dir), 'RECORD_NONCANONICAL', 50);
  });

  it('a replaced checkpoint: forged root, or an older genuine one', () => {
    const dir = copyOf(exportDir, 'x-checkpoint');
    const note = fs.readFileSync(path.join(dir, 'checkpoint'), 'utf8');
    const [origin, size] = note.split('\n');
    fs.writeFileSync(
      path.join(dir, 'checkpoint'),
      note.replace(/^(.*\n.*\n).*\n/, `$1${Buffer.alloc(32, 1).toString('base64')}\n`),
    );
    expect(origin).toBe(ORIGIN);
    expectFailure(verify(dir), 'NOTE_SIGNATURE_INVALID');
    fs.copyFileSync(path.join(dir, 'checkpoints', `${midSize}.checkpoint`), path.join(dir, 'checkpoint'));
    expect(size).not.toBe(String(midSize));
    expectFailure(verify(dir), 'CHECKPOINT_SIZE_MISMATCH');
  });

  it('a checkpoint signed by another key', () => {
    const dir = copyOf(exportDir, 'x-otherkey');
    const text = parseNote(fs.readFileSync(path.join(dir, 'checkpoint'), 'utf8')).text;
    fs.writeFileSync(path.join(dir, 'checkpoint'), signNote(text, [parseSignerKey(otherLog.signerKey)]));
    expectFailure(verify(dir), 'CHECKPOINT_SIGNER_UNKNOWN');
  });

  it('a cosignature by an unknown witness', () => {
    const dir = copyOf(exportDir, 'x-stranger');
    const note = fs.readFileSync(path.join(dir, 'checkpoint'), 'utf8');
    const line = cosign(parseNote(note).text, parseSignerKey(stranger.signerKey), 1_700_000_001);
    fs.writeFileSync(path.join(dir, 'checkpoint'), note + line);
    expectFailure(verify(dir), 'COSIGNATURE_UNKNOWN_WITNESS');
  });
});

describe('live: custos ledger verify', () => {
  const verify = (dir: string) => custos(['ledger', 'verify', '--data-dir', dir, '--key', logKey]);
  const tamper = (name: string, fn: (db: Database.Database) => void): string => {
    const dir = copyOf(path.join(base, 'data'), name);
    const db = new Database(path.join(dir, 'custos.db'));
    fn(db);
    db.close();
    return dir;
  };
  const note = (db: Database.Database) =>
    (db.prepare('SELECT note FROM ledger_checkpoints ORDER BY size DESC LIMIT 1').get() as { note: string })
      .note;

  it('passes on the untouched store', () => {
    const r = verify(path.join(base, 'data'));
    expect(r.code, r.stderr).toBe(0);
  });

  it('a flipped byte in a record', () => {
    const dir = tamper('l-flip', (db) => {
      const row = db.prepare('SELECT data FROM ledger_records WHERE idx = 6000').get() as { data: Buffer };
      row.data[row.data.length - 5]! ^= 0x01;
      db.prepare('UPDATE ledger_records SET data = ? WHERE idx = 6000').run(row.data);
    });
    const r = verify(dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /error (LEAF_HASH_MISMATCH|RECORD_NONCANONICAL|RECORD_MALFORMED):.*first bad index: 6000\)/,
    );
  });

  it('a deleted record', () => {
    expectFailure(
      verify(tamper('l-delete', (db) => db.exec('DELETE FROM ledger_records WHERE idx = 321'))),
      'RECORD_MISSING',
      321,
    );
  });

  it('two swapped records', () => {
    const dir = tamper('l-swap', (db) => {
      db.exec('UPDATE ledger_records SET idx = -1 WHERE idx = 10');
      db.exec('UPDATE ledger_records SET idx = 10 WHERE idx = 20');
      db.exec('UPDATE ledger_records SET idx = 20 WHERE idx = -1');
    });
    expectFailure(verify(dir), 'RECORD_INDEX_MISMATCH', 10);
  });

  it('a truncated tail', () => {
    const dir = tamper('l-truncate', (db) => db.exec(`DELETE FROM ledger_records WHERE idx >= ${N - 7}`));
    expectFailure(verify(dir), 'RECORD_MISSING', N - 7);
  });

  it('an inserted record', () => {
    const dir = tamper('l-insert', (db) => {
      const row = db.prepare('SELECT data FROM ledger_records WHERE idx = 3000').get() as { data: Buffer };
      const forged = JSON.parse(row.data.toString('utf8')) as Record<string, unknown>;
      forged['payload'] = { i: -1, note: 'forged' };
      const top = (db.prepare('SELECT max(idx) AS m FROM ledger_records').get() as { m: number }).m;
      for (let i = top; i >= 3000; i--)
        db.prepare('UPDATE ledger_records SET idx = ? WHERE idx = ?').run(i + 1, i);
      db.prepare('INSERT INTO ledger_records (idx, data) VALUES (3000, ?)').run(
        Buffer.from(canonicalize(forged)),
      );
    });
    expectFailure(verify(dir), 'LEAF_HASH_MISMATCH', 3000);
  });

  it('a replaced checkpoint', () => {
    const dir = tamper('l-checkpoint', (db) => {
      const n = note(db);
      const forged = n.replace(/^(.*\n.*\n).*\n/, `$1${Buffer.alloc(32, 2).toString('base64')}\n`);
      db.prepare('UPDATE ledger_checkpoints SET note = ? WHERE note = ?').run(forged, n);
    });
    expectFailure(verify(dir), 'NOTE_SIGNATURE_INVALID');
  });

  it('a checkpoint signed by another key', () => {
    const dir = tamper('l-otherkey', (db) => {
      const n = note(db);
      db.prepare('UPDATE ledger_checkpoints SET note = ? WHERE note = ?').run(
        signNote(parseNote(n).text, [parseSignerKey(otherLog.signerKey)]),
        n,
      );
    });
    expectFailure(verify(dir), 'CHECKPOINT_SIGNER_UNKNOWN');
  });

  it('a cosignature by an unknown witness', () => {
    const dir = tamper('l-stranger', (db) => {
      const n = note(db);
      const line = cosign(parseNote(n).text, parseSignerKey(stranger.signerKey), 1_700_000_002);
      db.prepare('UPDATE ledger_checkpoints SET note = ? WHERE note = ?').run(n + line, n);
    });
    expectFailure(verify(dir), 'COSIGNATURE_UNKNOWN_WITNESS');
  });
});
