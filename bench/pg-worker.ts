/**
 * One writer process of the PostgreSQL benchmark, forked by ledger-bench.ts (run with tsx).
 * Ledger mode: its own store and Ledger, `callers` concurrent appends each awaiting its own
 * durable append. Raw mode: one connection doing batched multi-row INSERTs in big transactions.
 * Waits for `go` so that all writers start together, then reports its count and elapsed time.
 */
import crypto from 'node:crypto';
import pg from 'pg';
import { Ledger } from '../src/ledger/ledger.js';
import { openPostgresStore } from '../src/store/postgres-store.js';
import { benchDraft, type ParentMessage, type WorkerJob, type WorkerMessage } from './common.js';

function send(message: WorkerMessage): void {
  process.send?.(message);
}

function cpuMs(since: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1000;
}

function nextMessage(): Promise<ParentMessage> {
  return new Promise((resolve) => process.once('message', (m) => resolve(m as ParentMessage)));
}

async function runLedger(job: WorkerJob): Promise<void> {
  const store = await openPostgresStore(job.url);
  const ledger = new Ledger({ store, now: () => new Date() });
  try {
    send({ type: 'ready' });
    await nextMessage(); // go
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    const deadline = t0 + job.durationMs;
    let issued = 0;
    let count = 0;
    let errors = 0;
    const caller = async (): Promise<void> => {
      while (issued < job.target && performance.now() < deadline) {
        const i = issued++;
        try {
          await ledger.append(benchDraft(i, job.writer));
          count++;
        } catch {
          errors++;
        }
      }
    };
    await Promise.all(Array.from({ length: job.callers }, caller));
    send({ type: 'done', count, ms: performance.now() - t0, errors, cpuMs: cpuMs(cpu0) });
  } finally {
    await ledger.writer.idle();
    await store.close();
  }
}

async function runRaw(job: WorkerJob): Promise<void> {
  const client = new pg.Client({ connectionString: job.url });
  client.on('error', () => undefined);
  await client.connect();
  try {
    const data = crypto.randomBytes(job.rowSize);
    const placeholders = Array.from(
      { length: job.rowsPerStatement },
      (_, r) => `($${2 * r + 1},$${2 * r + 2})`,
    ).join(',');
    const sql = `INSERT INTO bench_raw (idx, data) VALUES ${placeholders}`;
    send({ type: 'ready' });
    await nextMessage(); // go
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    const deadline = t0 + job.durationMs;
    let row = 0;
    while (row < job.target && performance.now() < deadline) {
      await client.query('BEGIN');
      for (let inTx = 0; inTx < job.rowsPerTransaction; inTx += job.rowsPerStatement) {
        const params: unknown[] = [];
        for (let r = 0; r < job.rowsPerStatement; r++) {
          // Disjoint keys per writer: writer + writers * n.
          params.push(job.writer + job.writers * row++, data);
        }
        await client.query(sql, params);
      }
      await client.query('COMMIT');
    }
    send({ type: 'done', count: row, ms: performance.now() - t0, errors: 0, cpuMs: cpuMs(cpu0) });
  } finally {
    await client.end();
  }
}

async function main(): Promise<void> {
  const first = await nextMessage();
  if (first.type !== 'job') throw new Error('expected a job');
  if (first.job.mode === 'ledger') await runLedger(first.job);
  else await runRaw(first.job);
}

main().then(
  () => process.disconnect?.(),
  (e: unknown) => {
    send({ type: 'failed', error: e instanceof Error ? (e.stack ?? e.message) : String(e) });
    process.exitCode = 1;
    process.disconnect?.();
  },
);
