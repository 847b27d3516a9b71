import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { toHex } from '../core/bytes.js';
import { isCustosError } from '../core/errors.js';
import type { ErrorCode } from '../core/errors.js';
import {
  generateNoteKey,
  openNote,
  parseNote,
  parseSignerKey,
  parseVerifierKey,
  verifyCosignature,
} from '../ledger/note/index.js';
import { TestLog } from './test-support.js';
import { Witness } from './witness.js';
import { WitnessStore } from './witness-store.js';

const NOW = new Date('2025-01-02T03:04:05.678Z');
const dirs: string[] = [];
const stores: WitnessStore[] = [];

afterEach(() => {
  for (const store of stores.splice(0)) store.close();
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

function setup(dir = fs.mkdtempSync(path.join(os.tmpdir(), 'custos-witness-'))) {
  if (!dirs.includes(dir)) dirs.push(dir);
  const store = WitnessStore.open(dir);
  stores.push(store);
  const key = path.join(dir, 'key');
  if (!fs.existsSync(key))
    fs.writeFileSync(key, generateNoteKey('witness.example/w1', 'cosignature/v1').signerKey);
  const signer = parseSignerKey(fs.readFileSync(key, 'utf8'));
  const witness = new Witness({ signer, store, now: () => NOW });
  return { dir, store, witness, vkey: parseVerifierKey(signer.verifierKey) };
}

function code(fn: () => unknown): { code: ErrorCode; details: Record<string, unknown> } | undefined {
  try {
    fn();
  } catch (err) {
    if (isCustosError(err)) return { code: err.code, details: { ...err.details } };
    throw err;
  }
  return undefined;
}

describe('Witness', () => {
  it('cosigns the first checkpoint of a known log (trust on first use)', () => {
    const { witness, store, vkey } = setup();
    const log = new TestLog('log.example/a').append(5);
    expect(witness.addLog(log.verifierKey)).toEqual({ origin: 'log.example/a', added: true });
    const checkpoint = log.checkpoint();
    const line = witness.addCheckpoint({ oldSize: 0, proof: [], checkpoint });
    const text = parseNote(checkpoint).text;
    expect(verifyCosignature(text, line, vkey)).toEqual({ timestamp: Math.floor(NOW.getTime() / 1000) });
    const state = store.getLog('log.example/a')?.state;
    expect(state?.size).toBe(5);
    expect(toHex(state!.rootHash)).toBe(toHex(log.root()));
    // The stored note carries the log signature and the cosignature.
    expect(openNote(state!.note, [parseVerifierKey(log.verifierKey), vkey]).verified).toHaveLength(2);
  });

  it('cosigns consistent extensions, including a resubmission at the same size', () => {
    const { witness } = setup();
    const log = new TestLog('log.example/a');
    witness.addLog(log.verifierKey);
    let old = 0;
    for (const grow of [1, 1, 1, 4, 1, 92, 0, 157]) {
      log.append(grow);
      witness.addCheckpoint({ oldSize: old, proof: log.proof(old), checkpoint: log.checkpoint() });
      old = log.size;
    }
    expect(old).toBe(257);
  });

  it('refuses an unknown log, and a checkpoint of a known origin signed by another key', () => {
    const { witness } = setup();
    const log = new TestLog('log.example/a').append(3);
    expect(
      code(() => witness.addCheckpoint({ oldSize: 0, proof: [], checkpoint: log.checkpoint() }))?.code,
    ).toBe('WITNESS_UNKNOWN_LOG');
    witness.addLog(log.verifierKey);
    const impostor = new TestLog('log.example/a').append(3);
    const checkpoint = impostor.checkpoint();
    expect(code(() => witness.addCheckpoint({ oldSize: 0, proof: [], checkpoint }))?.code).toBe(
      'NOTE_UNVERIFIED',
    );
  });

  it('refuses a fork at the same size and an inconsistent larger tree, keeping its state', () => {
    const { witness, store } = setup();
    const log = new TestLog('log.example/a').append(6);
    const fork = new TestLog('log.example/a', undefined, 'evil');
    witness.addLog(log.verifierKey);
    witness.addCheckpoint({ oldSize: 0, proof: [], checkpoint: log.checkpoint() });
    const other = log.checkpoint(6, { rootHash: new Uint8Array(32).fill(7) });
    expect(code(() => witness.addCheckpoint({ oldSize: 6, proof: [], checkpoint: other }))).toEqual({
      code: 'CHECKPOINT_INCONSISTENT',
      details: { origin: 'log.example/a', size: 6, sameSize: true },
    });
    // A tree with other leaves, signed by the real log key (a compromised or equivocating log).
    fork.append(9);
    const forged = log.checkpoint(9, { rootHash: fork.root() });
    const err = code(() => witness.addCheckpoint({ oldSize: 6, proof: fork.proof(6), checkpoint: forged }));
    expect(err?.code).toBe('CHECKPOINT_INCONSISTENT');
    expect(err?.details.sameSize).toBe(false);
    log.append(3);
    const tampered = log.proof(6).map((h, i) => (i === 0 ? h.map((b) => b ^ 1) : h));
    expect(
      code(() => witness.addCheckpoint({ oldSize: 6, proof: tampered, checkpoint: log.checkpoint() }))?.code,
    ).toBe('CHECKPOINT_INCONSISTENT');
    expect(store.getLog('log.example/a')?.state?.size).toBe(6);
  });

  it('answers a stale or wrong old size with WITNESS_CONFLICT carrying its size', () => {
    const { witness } = setup();
    const log = new TestLog('log.example/a').append(4);
    witness.addLog(log.verifierKey);
    witness.addCheckpoint({ oldSize: 0, proof: [], checkpoint: log.checkpoint() });
    log.append(4);
    expect(
      code(() => witness.addCheckpoint({ oldSize: 0, proof: [], checkpoint: log.checkpoint() })),
    ).toEqual({
      code: 'WITNESS_CONFLICT',
      details: { origin: 'log.example/a', size: 4 },
    });
    expect(
      code(() => witness.addCheckpoint({ oldSize: 2, proof: log.proof(2), checkpoint: log.checkpoint() }))
        ?.details.size,
    ).toBe(4);
    expect(
      code(() => witness.addCheckpoint({ oldSize: 9, proof: [], checkpoint: log.checkpoint() }))?.code,
    ).toBe('INPUT_INVALID');
  });

  it('refuses a non-empty proof from size 0 and keeps log keys unambiguous', () => {
    const { witness } = setup();
    const log = new TestLog('log.example/a').append(4);
    expect(witness.addLog(log.verifierKey).added).toBe(true);
    expect(witness.addLog(`${log.verifierKey}\n`).added).toBe(false);
    expect(code(() => witness.addLog(new TestLog('log.example/a').verifierKey))?.code).toBe('INPUT_INVALID');
    expect(code(() => witness.addLog(generateNoteKey('w', 'cosignature/v1').verifierKey))?.code).toBe(
      'INPUT_INVALID',
    );
    expect(code(() => witness.addLog('not a key'))?.code).toBe('VKEY_MALFORMED');
    const checkpoint = log.checkpoint();
    expect(code(() => witness.addCheckpoint({ oldSize: 0, proof: log.proof(2), checkpoint }))?.code).toBe(
      'INPUT_INVALID',
    );
    expect(code(() => witness.addCheckpoint({ oldSize: 0, proof: [], checkpoint: 'junk' }))?.code).toBe(
      'NOTE_MALFORMED',
    );
    expect(() => new Witness({ signer: log.signer, store: setup().store })).toThrow(TypeError);
  });

  it('keeps its state across reopening, and advances only from the state it read', () => {
    const first = setup();
    const log = new TestLog('log.example/a').append(10);
    first.witness.addLog(log.verifierKey);
    first.witness.addCheckpoint({ oldSize: 0, proof: [], checkpoint: log.checkpoint() });
    first.store.close();
    stores.splice(stores.indexOf(first.store), 1);
    const again = setup(first.dir);
    expect(again.store.listLogs().map((l) => [l.origin, l.state?.size])).toEqual([['log.example/a', 10]]);
    log.append(5);
    expect(
      code(() => again.witness.addCheckpoint({ oldSize: 0, proof: [], checkpoint: log.checkpoint() }))
        ?.details.size,
    ).toBe(10);
    again.witness.addCheckpoint({ oldSize: 10, proof: log.proof(10), checkpoint: log.checkpoint() });
    // A writer holding a stale view (another process) cannot roll the log back.
    const stale = { size: 10, rootHash: log.root(10), note: 'x', cosignedAt: 0 };
    const advance = (): void => {
      again.store.advance('log.example/a', stale, stale);
    };
    expect(code(advance)?.details.size).toBe(15);
  });
});
