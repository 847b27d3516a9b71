/**
 * Crash safety: a child process appends under load and prints each append once it has resolved;
 * the test SIGKILLs it mid-stream, reopens the store here and requires every acknowledged record
 * to be present with exactly the acknowledged leaf hash, the store to verify, and the ledger to
 * keep working (appends, a checkpoint consistent with everything the child signed). Repeated on
 * the same store at different moments.
 *
 * SIGKILL ends the process, not the machine: this proves "acknowledged = committed" and crash
 * recovery of the store, not fsync behaviour on power loss.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { Ledger } from '../../src/ledger/ledger.js';
import { verifyLive } from '../../src/ledger/ledger-verify.js';
import { generateNoteKey, parseSignerKey } from '../../src/ledger/note/index.js';
import { signerStateFile } from '../../src/keys/signer-state-file.js';
import { openStore } from '../../src/store/index.js';
import { createDatabase, dropDatabase } from '../harness/postgres.js';
import { tempDir } from '../support/stores.js';
import type { CrashWorkerConfig } from './crash.worker.js';
import { draft, WorkerProcess } from './support.js';

const pgUrl = inject('pgUrl');
const WORKER = path.join(import.meta.dirname, 'crash.worker.ts');
const ORIGIN = 'crash.test/log';

const workers = new Set<WorkerProcess>();
const dirs: string[] = [];
const databases: string[] = [];

afterAll(async () => {
  for (const w of workers) w.kill();
  await Promise.all([...workers].map((w) => w.closed));
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
  if (pgUrl !== null) for (const name of databases) await dropDatabase(pgUrl, name);
});

interface Round {
  /** Kill once this many appends of the round have been acknowledged... */
  readonly killAfter: number;
  /** ...and this many more milliseconds have passed. */
  readonly delayMs: number;
}

interface Settings {
  readonly dataDir: string;
  readonly databaseUrl?: string;
}

interface Target {
  readonly settings: Settings;
  readonly keys: { signerKey: string; verifierKey: string };
  readonly stateFile: string;
  /** Every acknowledged index -> leaf hash (hex), across rounds and in-process appends. */
  readonly acked: Map<number, string>;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

async function runAndKill(target: Target, round: number, plan: Round): Promise<WorkerProcess> {
  const config: CrashWorkerConfig = {
    ...target.settings,
    create: round === 0,
    origin: ORIGIN,
    signerKey: target.keys.signerKey,
    verifierKey: target.keys.verifierKey,
    signerStateFile: target.stateFile,
    concurrency: 64,
    checkpointEveryMs: 150,
    tag: `round-${round}`,
  };
  const w = new WorkerProcess(`crash round ${round}`, WORKER, config);
  workers.add(w);
  await w.until(() => w.lines.some((l) => l.startsWith('ready ')), 'ready');
  await w.until(() => w.acks.length >= plan.killAfter, `${plan.killAfter} acks`);
  if (plan.delayMs > 0) await sleep(plan.delayMs);
  expect(w.alive, w.describe()).toBe(true); // still mid-stream
  w.kill();
  await w.closed;
  workers.delete(w);
  expect(w.exit?.signal, w.describe()).toBe('SIGKILL');
  return w;
}

function merge(target: Target, acks: readonly { index: number; leafHash: string }[]): string[] {
  const conflicts: string[] = [];
  for (const { index, leafHash } of acks) {
    const before = target.acked.get(index);
    if (before !== undefined)
      conflicts.push(`index ${index} acknowledged twice (${before} then ${leafHash})`);
    else target.acked.set(index, leafHash);
  }
  return conflicts;
}

/** Reopens the store in this process and checks it against every acknowledgement so far. */
async function checkAfterCrash(
  target: Target,
  label: string,
): Promise<{ size: number; acked: number; verifyMs: number }> {
  const store = await openStore(target.settings);
  try {
    const ledger = new Ledger({
      store,
      now: () => new Date(),
      signer: parseSignerKey(target.keys.signerKey),
      signerState: signerStateFile(target.stateFile),
    });
    const size = await ledger.size();
    const [stats] = await store.read.query<{ n: number; lo: number; hi: number }>(
      'SELECT count(*) AS n, min(idx) AS lo, max(idx) AS hi FROM ledger_records',
    );
    expect(stats).toEqual({
      n: size,
      lo: 0,
      hi: size - 1,
    });

    const leaves = new Map(
      (
        await store.read.query<{ idx: number; hash: Uint8Array }>(
          'SELECT idx, hash FROM ledger_nodes WHERE level = 0',
        )
      ).map((r) => [r.idx, Buffer.from(r.hash).toString('hex')]),
    );
    const lost: string[] = [];
    for (const [index, hash] of target.acked) {
      const stored = leaves.get(index);
      if (stored !== hash) lost.push(`${label}: acked ${index} ${hash}, stored ${stored ?? '(missing)'}`);
    }
    expect(lost.slice(0, 20), `${lost.length} acknowledged appends lost or changed`).toEqual([]);
    const acked = target.acked.size;
    expect(size, 'tree size >= acknowledged appends + genesis').toBeGreaterThanOrEqual(target.acked.size + 1);

    const t0 = performance.now();
    const report = await verifyLive(ledger);
    const verifyMs = Math.round(performance.now() - t0);
    expect(report.size).toBe(size);
    expect(report.checkpoints, 'the checkpoints the child stored survive').toBeGreaterThan(0);

    // The ledger keeps working after the crash: appends, a consistent checkpoint, verification.
    const more = await Promise.all(Array.from({ length: 200 }, (_, i) => ledger.append(draft(i, label))));
    const conflicts = merge(
      target,
      more.map((r) => ({ index: r.index, leafHash: Buffer.from(r.leafHash).toString('hex') })),
    );
    expect(conflicts).toEqual([]);
    expect(more.map((r) => r.index).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 200 }, (_, i) => size + i),
    );
    const cp = await ledger.checkpoint(); // refuses if the tree lost anything the child signed
    expect(cp.size).toBe(size + 200);
    const after = await verifyLive(ledger);
    expect(after.size).toBe(size + 200);
    expect(after.latestCheckpoint).toBe(size + 200);
    await ledger.writer.idle();
    return { size, acked, verifyMs };
  } finally {
    await store.close();
  }
}

async function crashRepeatedly(name: string, settings: Settings, plans: readonly Round[]): Promise<void> {
  const target: Target = {
    settings,
    keys: generateNoteKey(ORIGIN),
    stateFile: path.join(settings.dataDir, 'log.signer-state.json'),
    acked: new Map(),
  };
  for (const [round, plan] of plans.entries()) {
    const t0 = performance.now();
    const w = await runAndKill(target, round, plan);
    const runMs = Math.round(performance.now() - t0);
    expect(merge(target, w.acks)).toEqual([]);
    const { size, acked, verifyMs } = await checkAfterCrash(target, `${name}-round-${round}`);
    const totalMs = Math.round(performance.now() - t0);
    console.log(
      `[crash ${name}] round ${round}: killed after ${w.acks.length} acks (plan ${plan.killAfter}+${plan.delayMs}ms); ` +
        `tree ${size} = ${acked} acked so far + genesis + ${size - 1 - acked} committed but unacked; ` +
        `child ${runMs} ms, verifyLive ${verifyMs} ms, round ${totalMs} ms`,
    );
  }
}

describe('crash safety: SIGKILL under load keeps every acknowledged append', () => {
  it('on SQLite, killed three times at different moments', { timeout: 50_000 }, async () => {
    const dataDir = tempDir('custos-crash-');
    dirs.push(dataDir);
    await crashRepeatedly('sqlite', { dataDir }, [
      { killAfter: 2000, delayMs: 0 },
      { killAfter: 2400, delayMs: 7 },
      { killAfter: 2100, delayMs: 23 },
    ]);
  });

  it.skipIf(pgUrl === null)('on PostgreSQL, killed twice', { timeout: 50_000 }, async () => {
    const name = `crash_${process.pid}_${crypto.randomBytes(4).toString('hex')}`;
    databases.push(name);
    const databaseUrl = await createDatabase(pgUrl!, name);
    const dataDir = tempDir('custos-crash-pg-');
    dirs.push(dataDir);
    await crashRepeatedly('postgres', { dataDir, databaseUrl }, [
      { killAfter: 2000, delayMs: 0 },
      { killAfter: 2200, delayMs: 13 },
    ]);
  });
});
