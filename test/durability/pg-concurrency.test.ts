/**
 * Many processes, one PostgreSQL ledger: eight child processes, each with its own store and
 * Ledger, append at once with many appends in flight. Ledger sequencing across processes is
 * serialised by the lock on the ledger's head row, so every acknowledged index must be distinct, the indexes
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
import { MIGRATIONS } from '../../src/store/migrations/index.js';

const pgUrl = inject('pgUrl');
const WORKER = path.join(import.meta.dirname, 'pg-concurrency.worker.ts');
const PROCESSES = 8;
const PER_PROCESS = 1500;
const CONCURRENCY = 100;

const workers: WorkerProcess[] = [];

async function freshDatabase(prefix: string): Promise<{ dataDir: string; databaseUrl: string }> {
  const name = `${prefix}_${process.pid}_${crypto.randomBytes(4).toString('hex')}`;
  databases.push(name);
  const databaseUrl = await createDatabase(pgUrl!, name);
  const dataDir = tempDir('custos-pgconc-');
  dirs.push(dataDir);
  return { dataDir, databaseUrl };
}
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
      const { dataDir, databaseUrl } = await freshDatabase('pgconc');

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
      await Promise.all(workers.map((w) => w.until(() => w.exit !== undefined, 'exit', 10_000)));
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
        expect(stats).toEqual({
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
          .filter((r) => r.idx > 0 && hashes.get(r.idx) !== Buffer.from(r.hash).toString('hex'))
          .map((r) => r.idx);
        expect(leaves.length).toBe(size);
        expect(
          wrong.slice(0, 20),
          `${wrong.length} stored leaf hashes differ from the acknowledged ones`,
        ).toEqual([]);

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

  // openStore migrates; migrate() says concurrent processes are serialised by an advisory lock
  // "so many workers may start at once". Here they start at once on databases never migrated
  // (several rounds, as it is a race).
  it(
    `${PROCESSES} processes opening a fresh database at once all migrate it`,
    { timeout: 40_000 },
    async () => {
      const ROUNDS = 5;
      const fresh = await Promise.all(Array.from({ length: ROUNDS }, () => freshDatabase('pgmig')));
      const started = Array.from({ length: PROCESSES }, (_, i) => {
        const config: PgWorkerConfig = {
          dataDir: fresh[0]!.dataDir,
          databaseUrl: '',
          count: 0,
          concurrency: 1,
          tag: `m-${i}`,
          migrateUrls: fresh.map((f) => f.databaseUrl),
        };
        const w = new WorkerProcess(`pg migrate ${i}`, WORKER, config);
        workers.push(w);
        return w;
      });
      await Promise.all(started.map((w) => w.until(() => w.lines.includes('ready'), 'ready')));
      const failures: string[] = [];
      for (let k = 0; k < ROUNDS; k++) {
        for (const w of started) w.send('go');
        const settled = (w: WorkerProcess): string | undefined =>
          w.lines.find((l) => l.startsWith(`opened ${k}`) || l.startsWith(`failed ${k} `));
        await Promise.all(started.map((w) => w.until(() => settled(w) !== undefined, `round ${k}`)));
        for (const w of started) {
          const line = settled(w)!;
          if (line.startsWith('failed')) failures.push(`${w.name}, database ${k}: ${line}`);
        }
      }
      await Promise.all(started.map((w) => w.until(() => w.exit !== undefined, 'exit', 10_000)));
      for (const w of started) expect(w.exit, w.describe()).toEqual({ code: 0, signal: null });
      expect(
        failures,
        `${failures.length} of ${ROUNDS * PROCESSES} concurrent opens of a fresh database failed`,
      ).toEqual([]);
      for (const { dataDir, databaseUrl } of fresh) {
        const store = await openStore({ dataDir, databaseUrl });
        try {
          expect(await store.read.query('SELECT version FROM schema_migrations ORDER BY version')).toEqual(
            MIGRATIONS.map((m) => ({ version: m.version })),
          );
        } finally {
          await store.close();
        }
      }
    },
  );
});
