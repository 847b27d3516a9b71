/**
 * Many processes, one PostgreSQL ledger: eight child processes, each with its own store and
 * Ledger, append at once with many appends in flight. Ledger sequencing across processes is
 * serialised by an advisory lock, so every acknowledged index must be distinct, the indexes
 * contiguous with no gaps, every acknowledged leaf hash stored, and the store must verify.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { Ledger } from '../../src/ledger/ledger.js';
import { verifyLive } from '../../src/ledger/ledger-verify.js';
import { generateNoteKey } from '../../src/ledger/note/index.js';
import { openStore } from '../../src/store/index.js';
import { createDatabase, dropDatabase } from '../harness/postgres.js';
import { tempDir } from '../support/stores.js';
import type { PgWorkerConfig } from './pg-concurrency.worker.js';
import { WorkerProcess } from './support.js';

const pgUrl = inject('pgUrl');
const WORKER = path.join(import.meta.dirname, 'pg-concurrency.worker.ts');
const PROCESSES = 8;
const PER_PROCESS = 1500;
const CONCURRENCY = 100;

const workers: WorkerProcess[] = [];
const dirs: string[] = [];
const databases: string[] = [];

afterAll(async () => {
  for (const w of workers) w.kill();
  await Promise.all(workers.map((w) => w.closed));
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
  if (pgUrl !== null) for (const name of databases) await dropDatabase(pgUrl, name);
});

/** How many maximal runs of consecutive indexes each worker's indexes form in the log. */
function runsPerWorker(owner: Map<number, number>, size: number): number[] {
  const runs = new Array<number>(PROCESSES).fill(0);
  let previous: number | undefined;
  for (let index = 1; index < size; index++) {
    const w = owner.get(index);
    if (w !== undefined && w !== previous) runs[w]!++;
    previous = w;
  }
  return runs;
}

describe.skipIf(pgUrl === null)('PostgreSQL: concurrent appends from many processes', () => {
  it(
    `${PROCESSES} processes x ${PER_PROCESS} appends get distinct, contiguous indexes`,
    { timeout: 55_000 },
    async () => {
      const t0 = performance.now();
      const name = `pgconc_${process.pid}_${crypto.randomBytes(4).toString('hex')}`;
      databases.push(name);
      const databaseUrl = await createDatabase(pgUrl!, name);
      const dataDir = tempDir('custos-pgconc-');
      dirs.push(dataDir);

      const origin = 'pg-concurrency.test/log';
      const setup = await openStore({ dataDir, databaseUrl });
      try {
        await new Ledger({ store: setup, now: () => new Date() }).create(
          origin,
          generateNoteKey(origin).verifierKey,
        );
      } finally {
        await setup.close();
      }

      for (let i = 0; i < PROCESSES; i++) {
        const config: PgWorkerConfig = {
          dataDir,
          databaseUrl,
          count: PER_PROCESS,
          concurrency: CONCURRENCY,
          tag: `worker-${i}`,
        };
        workers.push(new WorkerProcess(`pg ${i}`, WORKER, config));
      }
      await Promise.all(workers.map((w) => w.until(() => w.lines.includes('ready'), 'ready')));
      const tReady = performance.now();
      for (const w of workers) w.send('go');
      await Promise.all(workers.map((w) => w.until(() => w.lines.includes('done'), 'done', 45_000)));
      await Promise.all(workers.map((w) => w.closed));
      const tDone = performance.now();
      for (const w of workers) expect(w.exit, w.describe()).toEqual({ code: 0, signal: null });

      const owner = new Map<number, number>();
      const hashes = new Map<number, string>();
      const duplicates: string[] = [];
      for (const [i, w] of workers.entries()) {
        expect(w.acks.length, w.describe()).toBe(PER_PROCESS);
        for (const { index, leafHash } of w.acks) {
          const other = owner.get(index);
          if (other !== undefined) duplicates.push(`index ${index} acked by workers ${other} and ${i}`);
          owner.set(index, i);
          hashes.set(index, leafHash);
        }
      }
      expect(duplicates.slice(0, 20), `${duplicates.length} duplicate indexes`).toEqual([]);
      expect(owner.size).toBe(PROCESSES * PER_PROCESS);

      const store = await openStore({ dataDir, databaseUrl });
      try {
        const ledger = new Ledger({ store, now: () => new Date() });
        const size = await ledger.size();
        expect(size).toBe(1 + PROCESSES * PER_PROCESS);
        const [stats] = await store.read.query<{ n: number; lo: number; hi: number }>(
          'SELECT count(*) AS n, min(idx) AS lo, max(idx) AS hi FROM ledger_records',
        );
        expect({ n: Number(stats!.n), lo: Number(stats!.lo), hi: Number(stats!.hi) }).toEqual({
          n: size,
          lo: 0,
          hi: size - 1,
        });
        expect([...owner.keys()].sort((a, b) => a - b)).toEqual(
          Array.from({ length: PROCESSES * PER_PROCESS }, (_, i) => i + 1),
        );

        const leaves = await store.read.query<{ idx: number; hash: Uint8Array }>(
          'SELECT idx, hash FROM ledger_nodes WHERE level = 0',
        );
        const wrong = leaves
          .filter((r) => Number(r.idx) > 0 && hashes.get(Number(r.idx)) !== Buffer.from(r.hash).toString('hex'))
          .map((r) => Number(r.idx));
        expect(leaves.length).toBe(size);
        expect(wrong.slice(0, 20), `${wrong.length} stored leaf hashes differ from the acknowledged ones`).toEqual(
          [],
        );

        const tVerify = performance.now();
        const report = await verifyLive(ledger);
        expect(report.size).toBe(size);
        const tEnd = performance.now();

        // Not a requirement, but the point of the exercise: the processes' batches interleave.
        const runs = runsPerWorker(owner, size);
        console.log(
          `[pg-concurrency] ${PROCESSES} x ${PER_PROCESS} appends (${CONCURRENCY} in flight each): ` +
            `start ${Math.round(tReady - t0)} ms, appends ${Math.round(tDone - tReady)} ms ` +
            `(${Math.round((PROCESSES * PER_PROCESS) / ((tDone - tReady) / 1000))}/s), ` +
            `verifyLive ${Math.round(tEnd - tVerify)} ms; runs of consecutive indexes per worker: ${runs.join(', ')}`,
        );
        expect(runs.every((r) => r >= 1)).toBe(true);
      } finally {
        await store.close();
      }
    },
  );
});
