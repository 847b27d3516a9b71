/**
 * Ledger benchmark: `npm run bench:ledger` (tsx bench/ledger-bench.ts).
 *
 * Every figure is printed beside the raw limit measured in the same run on the same machine:
 *   a. durable appends/s on SQLite (WAL, synchronous=FULL; many concurrent callers, each awaiting
 *      its own append, so group commit works) vs raw batched INSERT rows/s on the same database;
 *   b. durable appends/s on PostgreSQL with N writer processes, each with its own Ledger, vs raw
 *      batched INSERT rows/s from N client processes; index contiguity checked afterwards;
 *   c. full offline verification records/s over the SQLite ledger (export, then the parallel
 *      verifier: verifyBundleParallel in memory, verifyExportDir reading the directory as
 *      `custos verify DIR` does) vs node:crypto SHA-256 ops/s on same-size inputs, single thread,
 *      and the sequential verifyBundle;
 *   d. inclusion / consistency proof latency p50/p99 on both ledgers vs one indexed SELECT.
 * Results are appended to bench/RESULTS.md (unless --no-results).
 *
 * Options: --records N (SQLite ledger size, default 1000000), --only sqlite|pg, --no-results,
 *   --callers N (SQLite in-flight appends, default 1000), --pg-writers N (default 8),
 *   --pg-callers N (in-flight appends per writer, default 1000), --pg-seconds S (default 60),
 *   --pg-target N (total PostgreSQL appends, default 1000000), --samples N (proofs, default 2000).
 */
import { fork, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import pg from 'pg';
import * as prettier from 'prettier';
import { exportLedger } from '../src/evidence/ledger-export.js';
import { Ledger } from '../src/ledger/ledger.js';
import { generateNoteKey, parseSignerKey } from '../src/ledger/note/index.js';
import type { SignedState } from '../src/ledger/checkpoint-signer.js';
import { encodeRecord } from '../src/ledger/sequencer.js';
import { openStore } from '../src/store/open-store.js';
import type { Store } from '../src/store/sql.js';
import { readExportDir } from '../src/verifier/read-dir.js';
import { verifyBundle } from '../src/verifier/verify-bundle.js';
import { verifyBundleParallel, verifyExportDir } from '../src/verifier/parallel.js';
import { startPostgres, type PgHandle } from '../test/harness/postgres.js';
import {
  benchDraft,
  fmtInt,
  fmtMs,
  percentile,
  type ParentMessage,
  type WorkerJob,
  type WorkerMessage,
  loadText,
  option,
  fsyncLatencyMs,
  postmasterPid,
  processTreeCpuMs,
  sh,
  waitForWorker,
  describePostgres,
} from './common.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ORIGIN = 'bench.custos/log';

// ---------------------------------------------------------------- options

const RECORDS = option('records', 1_000_000);
const CALLERS = option('callers', 1000);
const PG_WRITERS = option('pg-writers', 8);
const PG_CALLERS = option('pg-callers', 1000);
const PG_SECONDS = option('pg-seconds', 60);
const PG_TARGET = option('pg-target', 1_000_000);
const SAMPLES = option('samples', 2000);
const onlyAt = process.argv.indexOf('--only');
const ONLY = onlyAt < 0 ? undefined : process.argv[onlyAt + 1];
const WRITE_RESULTS = !process.argv.includes('--no-results');

// ---------------------------------------------------------------- helpers

interface Row {
  /** Sort key: the brief's figure letter (a-d). */
  readonly part: 'a' | 'b' | 'c' | 'd';
  readonly figure: string;
  readonly measured: string;
  readonly raw: string;
  readonly target: string;
  readonly pass: boolean | undefined;
}

const rows: Row[] = [];
const notes: string[] = [];

function log(line: string): void {
  console.log(line);
}

function note(line: string): void {
  notes.push(line);
  log(`  note: ${line}`);
}

async function timed<T>(fn: () => Promise<T> | T): Promise<{ value: T; ms: number }> {
  const t0 = performance.now();
  const value = await fn();
  return { value, ms: performance.now() - t0 };
}

function perSecond(count: number, ms: number): number {
  return (count * 1000) / ms;
}

function randomInt(below: number): number {
  return Math.floor(Math.random() * below);
}

function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

interface Latency {
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
}

async function latencies(samples: number, fn: () => Promise<unknown>): Promise<Latency> {
  for (let i = 0; i < Math.min(200, samples); i++) await fn(); // warm-up
  const ms: number[] = [];
  for (let i = 0; i < samples; i++) {
    const t0 = performance.now();
    await fn();
    ms.push(performance.now() - t0);
  }
  ms.sort((a, b) => a - b);
  return { p50: percentile(ms, 50), p99: percentile(ms, 99), max: ms[ms.length - 1]! };
}

function latencyText(l: Latency): string {
  return `p50 ${fmtMs(l.p50)} / p99 ${fmtMs(l.p99)}`;
}

interface BenchLedger {
  readonly store: Store;
  readonly ledger: Ledger;
  readonly verifierKey: string;
  close(): Promise<void>;
}

async function openLedger(settings: { dataDir: string; databaseUrl?: string }): Promise<BenchLedger> {
  const store = await openStore(settings);
  const { signerKey, verifierKey } = generateNoteKey(ORIGIN);
  let state: SignedState | undefined;
  const ledger = new Ledger({
    store,
    now: () => new Date(),
    signer: parseSignerKey(signerKey),
    signerState: { load: () => state, save: (s) => (state = s) },
  });
  if (!(await ledger.exists())) await ledger.create(ORIGIN, verifierKey);
  return {
    store,
    ledger,
    verifierKey,
    close: async () => {
      await ledger.writer.idle();
      await store.close();
    },
  };
}

/** `callers` concurrent loops, each awaiting its own append, until `total` appends are done. */
async function appendConcurrently(ledger: Ledger, total: number, callers: number): Promise<number> {
  let next = 0;
  const caller = async (): Promise<void> => {
    for (let i = next++; i < total; i = next++) await ledger.append(benchDraft(i));
  };
  const { ms } = await timed(() => Promise.all(Array.from({ length: callers }, caller)));
  return ms;
}

/** The size in bytes of a typical record of this benchmark (mid-ledger index, with prev). */
function typicalRecordSize(index: number): number {
  return encodeRecord(benchDraft(index), index, new Date().toISOString(), crypto.randomBytes(32)).length;
}

async function proofLatencies(
  label: string,
  bl: BenchLedger,
  size: number,
  rawSelect: () => Promise<unknown>,
): Promise<{ inclusion: Latency; consistency: Latency }> {
  const { ledger } = bl;
  const inclusion = await latencies(SAMPLES, () => {
    const s = 1 + randomInt(size);
    return ledger.inclusionProof(randomInt(s), s);
  });
  const consistency = await latencies(SAMPLES, () => {
    const s2 = 1 + randomInt(size);
    return ledger.consistencyProof(1 + randomInt(s2), s2);
  });
  const raw = await latencies(SAMPLES, rawSelect);
  log(`  inclusion proof   ${latencyText(inclusion)} (max ${fmtMs(inclusion.max)})`);
  log(`  consistency proof ${latencyText(consistency)} (max ${fmtMs(consistency.max)})`);
  log(`  raw: one indexed SELECT of a node ${latencyText(raw)}`);
  const sizeText = `${fmtInt(size)} records, ${fmtInt(SAMPLES)} samples`;
  rows.push(
    {
      part: 'd',
      figure: `inclusion proof latency, ${label} (${sizeText})`,
      measured: latencyText(inclusion),
      raw: `1 indexed SELECT: ${latencyText(raw)}`,
      target: 'p99 < 2 ms',
      pass: inclusion.p99 < 2,
    },
    {
      part: 'd',
      figure: `consistency proof latency, ${label} (${sizeText})`,
      measured: latencyText(consistency),
      raw: `1 indexed SELECT: ${latencyText(raw)}`,
      target: 'p99 < 2 ms',
      pass: consistency.p99 < 2,
    },
  );
  return { inclusion, consistency };
}

// ---------------------------------------------------------------- SQLite: a, c, d

async function benchSqlite(machine: string[]): Promise<void> {
  const dir = tempDir('custos-bench-sqlite-');
  const exportDir = path.join(dir, 'export');
  try {
    machine.push(`fsync (fdatasync of a 4 KiB append) median on the temp dir: ${fmtMs(fsyncLatencyMs(dir))}`);
    const bl = await openLedger({ dataDir: dir });
    try {
      // a. durable appends: every caller awaits its own append, acknowledged only once committed.
      log(`\n[a] SQLite: ${fmtInt(RECORDS - 1)} durable appends, ${fmtInt(CALLERS)} callers in flight`);
      const commits = countCommits(bl.store);
      const cpu0 = process.cpuUsage();
      const ms = await appendConcurrently(bl.ledger, RECORDS - 1, CALLERS);
      const cpu = cpuMsSince(cpu0);
      const appendsPerSec = perSecond(RECORDS - 1, ms);
      const perCommit = (RECORDS - 1) / commits.count;
      log(
        `  ${fmtInt(appendsPerSec)} appends/s (${(ms / 1000).toFixed(1)} s; ${fmtInt(commits.count)} commits, ` +
          `${perCommit.toFixed(0)} appends per commit; CPU ${((cpu * 1000) / (RECORDS - 1)).toFixed(1)} µs per append)`,
      );
      commits.restore();
      const db = new Database(path.join(dir, 'custos.db'));
      try {
        db.pragma('journal_mode = WAL');
        db.pragma('synchronous = FULL');
        const [{ size, avg }] = db
          .prepare('SELECT count(*) AS size, avg(length(data)) AS avg FROM ledger_records')
          .all() as [{ size: number; avg: number }];
        const nodes = (db.prepare('SELECT count(*) AS n FROM ledger_nodes').get() as { n: number }).n;
        if (size !== RECORDS) throw new Error(`ledger holds ${size} records, expected ${RECORDS}`);
        const rowSize = Math.round(avg);
        log(`  average record ${rowSize} B; ${(nodes / size).toFixed(2)} node rows per record`);
        const raw = rawSqliteInserts(db, rowSize, 512_000);
        log(
          `  raw: ${fmtInt(raw.single)} rows/s with a prepared 1-row INSERT, ${fmtInt(raw.multi)} rows/s with ` +
            `256-row INSERTs (${rowSize} B rows, 51,200 rows per transaction, same database and pragmas)`,
        );
        rows.push({
          part: 'a',
          figure: `durable appends/s, SQLite WAL synchronous=FULL (${fmtInt(CALLERS)} callers in flight, ${perCommit.toFixed(0)} appends per commit, ${fmtInt(RECORDS)}-record ledger; CPU ${((cpu * 1000) / (RECORDS - 1)).toFixed(1)} µs per append)`,
          measured: fmtInt(appendsPerSec),
          raw: `${fmtInt(Math.max(raw.single, raw.multi))} INSERT rows/s (${rowSize} B rows, 51,200-row transactions); an append writes 1 record row + ${(nodes / size).toFixed(2)} node rows`,
          target: '>= 50,000/s',
          pass: appendsPerSec >= 50_000,
        });
      } finally {
        db.close();
      }

      // c. full verification
      log(`\n[c] full verification of ${fmtInt(RECORDS)} records`);
      await bl.ledger.checkpoint();
      const exported = await timed(() =>
        exportLedger(bl.ledger, { outDir: exportDir, now: () => new Date() }),
      );
      log(`  export: ${(exported.ms / 1000).toFixed(1)} s`);
      // Parallel (worker threads, as `custos verify DIR` above 50,000 records): verify only, with the
      // bundle already in memory, and read + verify as the CLI does it (verifyExportDir streams
      // records.jsonl while verifying); the sequential reference beside them.
      const workers = Math.max(2, os.availableParallelism());
      const trusted = { log: bl.verifierKey };
      const loadBefore = loadText();
      const read = await timed(() => readExportDir(exportDir));
      const verifyCpu0 = process.cpuUsage();
      const verified = await timed(() => verifyBundleParallel(read.value, trusted, undefined, { workers }));
      const verifyCpu = cpuMsSince(verifyCpu0);
      if (verified.value.records !== RECORDS) throw new Error('verify did not cover every record');
      const dirCpu0 = process.cpuUsage();
      const streamed = await timed(() => verifyExportDir(exportDir, trusted, undefined, { workers }));
      const dirCpu = cpuMsSince(dirCpu0);
      if (streamed.value.records !== RECORDS) throw new Error('verify did not cover every record');
      const seqCpu0 = process.cpuUsage();
      const sequential = await timed(() => verifyBundle(read.value, trusted));
      const seqCpu = cpuMsSince(seqCpu0);
      const verifyOnly = perSecond(RECORDS, verified.ms);
      const readVerify = perSecond(RECORDS, streamed.ms);
      const sequentialRate = perSecond(RECORDS, sequential.ms);
      const perRecord = (cpuMs: number): string => ((cpuMs * 1000) / RECORDS).toFixed(2);
      log(
        `  verify only:   ${fmtInt(verifyOnly)} records/s (${(verified.ms / 1000).toFixed(2)} s, ${workers} worker threads; ` +
          `CPU ${perRecord(verifyCpu)} µs per record, all threads)`,
      );
      log(
        `  read + verify: ${fmtInt(readVerify)} records/s (verifyExportDir, ${(streamed.ms / 1000).toFixed(2)} s; ` +
          `CPU ${perRecord(dirCpu)} µs per record; readExportDir alone ${(read.ms / 1000).toFixed(2)} s)`,
      );
      log(
        `  sequential verifyBundle (one thread, the reference): ${fmtInt(sequentialRate)} records/s ` +
          `(CPU ${perRecord(seqCpu)} µs per record); load average ${loadBefore} -> ${loadText()}`,
      );
      const recordBytes = read.value.records.length / RECORDS - 1;
      const sha = sha256Rates(Math.round(recordBytes) + 1);
      log(
        `  raw: SHA-256 (crypto.hash, one thread) of ${sha.leafBytes} B (a leaf) ${fmtInt(sha.leafPerSec)}/s, ` +
          `of 65 B (a node) ${fmtInt(sha.nodePerSec)}/s; one leaf + one node per record => ` +
          `${fmtInt(sha.recordPerSec)} records/s for the hashing alone`,
      );
      log(`  raw: JSON.parse of the same records ${fmtInt(sha.parsePerSec)}/s`);
      const shaText =
        `one thread: SHA-256 ${fmtInt(sha.leafPerSec)} ops/s at ${sha.leafBytes} B, ${fmtInt(sha.nodePerSec)} ops/s at 65 B ` +
        `=> ${fmtInt(sha.recordPerSec)} records/s hashing alone; JSON.parse alone ${fmtInt(sha.parsePerSec)} records/s; ` +
        `sequential verifyBundle ${fmtInt(sequentialRate)} records/s`;
      rows.push(
        {
          part: 'c',
          figure: `full verify records/s, verify only (${fmtInt(RECORDS)} records, ${sha.leafBytes - 1} B each, in memory; ${workers} worker threads; CPU ${perRecord(verifyCpu)} µs per record, all threads; load ${loadBefore})`,
          measured: fmtInt(verifyOnly),
          raw: shaText,
          target: '>= 300,000/s',
          pass: verifyOnly >= 300_000,
        },
        {
          part: 'c',
          figure: `full verify records/s, read export dir + verify (${fmtInt(RECORDS)} records; verifyExportDir, as \`custos verify DIR\`: records.jsonl read while verifying)`,
          measured: fmtInt(readVerify),
          raw: shaText,
          target: '>= 300,000/s',
          pass: readVerify >= 300_000,
        },
      );
      fs.rmSync(exportDir, { recursive: true, force: true });

      // d. proofs
      log(`\n[d] proofs on SQLite at ${fmtInt(RECORDS)} records, ${fmtInt(SAMPLES)} samples each`);
      await proofLatencies('SQLite', bl, RECORDS, () =>
        bl.store.read.query('SELECT hash FROM ledger_nodes WHERE level = ? AND idx = ?', [
          0,
          randomInt(RECORDS),
        ]),
      );
    } finally {
      await bl.close();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Counts commits on a store's write connection (for the appends-per-commit figure). */
function countCommits(store: Store): { readonly count: number; restore(): void } {
  const conn = store.write as { commit: () => Promise<void> };
  const original = conn.commit;
  const counter = {
    count: 0,
    restore: () => {
      conn.commit = original;
    },
  };
  conn.commit = () => {
    counter.count++;
    return original.call(store.write);
  };
  return counter;
}

function cpuMsSince(since: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1000;
}

/** Raw INSERT rows/s into a plain table of the same database: 1-row and 256-row prepared INSERTs. */
function rawSqliteInserts(
  db: Database.Database,
  rowSize: number,
  count: number,
): { single: number; multi: number } {
  const data = crypto.randomBytes(rowSize);
  const perTx = 51_200; // a multiple of both statement sizes
  const run = (rowsPerInsert: number): number => {
    db.exec('DROP TABLE IF EXISTS bench_raw');
    db.exec('CREATE TABLE bench_raw (idx INTEGER PRIMARY KEY, data BLOB NOT NULL)');
    const insert = db.prepare(
      `INSERT INTO bench_raw (idx, data) VALUES ${Array.from({ length: rowsPerInsert }, () => '(?, ?)').join(', ')}`,
    );
    const params: unknown[] = [];
    const batch = db.transaction((from: number, to: number) => {
      for (let i = from; i < to; i += rowsPerInsert) {
        for (let r = 0; r < rowsPerInsert; r++) {
          params[2 * r] = i + r;
          params[2 * r + 1] = data;
        }
        insert.run(params);
      }
    });
    const t0 = performance.now();
    for (let from = 0; from < count; from += perTx) batch(from, Math.min(count, from + perTx));
    const rate = perSecond(count, performance.now() - t0);
    db.exec('DROP TABLE bench_raw');
    return rate;
  };
  return { single: run(1), multi: run(256) };
}

function sha256Rates(leafBytes: number): {
  leafBytes: number;
  leafPerSec: number;
  nodePerSec: number;
  recordPerSec: number;
  parsePerSec: number;
} {
  const rate = (input: Buffer, n: number): number => {
    for (let i = 0; i < 10_000; i++) crypto.hash('sha256', input, 'buffer');
    const t0 = performance.now();
    for (let i = 0; i < n; i++) crypto.hash('sha256', input, 'buffer');
    return perSecond(n, performance.now() - t0);
  };
  const leafPerSec = rate(crypto.randomBytes(leafBytes), 1_000_000);
  const nodePerSec = rate(crypto.randomBytes(65), 1_000_000);
  // A record costs one leaf hash and, amortised, one node hash (n leaves => n - 1 interior nodes).
  const recordPerSec = 1 / (1 / leafPerSec + 1 / nodePerSec);
  const sample = Array.from({ length: 10_000 }, (_, i) =>
    new TextDecoder().decode(
      encodeRecord(benchDraft(500_000 + i), 500_000 + i, new Date().toISOString(), crypto.randomBytes(32)),
    ),
  );
  for (const text of sample) JSON.parse(text);
  const t0 = performance.now();
  for (let r = 0; r < 20; r++) for (const text of sample) JSON.parse(text);
  const parsePerSec = perSecond(20 * sample.length, performance.now() - t0);
  return { leafBytes, leafPerSec, nodePerSec, recordPerSec, parsePerSec };
}

// ---------------------------------------------------------------- PostgreSQL: b, d

interface WorkerResult {
  readonly count: number;
  readonly ms: number;
  readonly errors: number;
  readonly cpuMs: number;
}

/** Forks `jobs.length` worker processes, starts them together, returns their results and wall time. */
async function runWorkers(jobs: readonly WorkerJob[]): Promise<{ results: WorkerResult[]; wallMs: number }> {
  const script = path.join(HERE, 'pg-worker.ts');
  const children: ChildProcess[] = jobs.map(() =>
    fork(script, [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }),
  );
  const exits = children.map(
    (child) =>
      new Promise<number | null>((resolve) => {
        child.once('exit', (code) => resolve(code));
      }),
  );
  try {
    const waitFor = (child: ChildProcess, type: 'ready' | 'done'): Promise<WorkerMessage> =>
      waitForWorker<WorkerMessage>(child, type);
    const send = (child: ChildProcess, m: ParentMessage): void => {
      child.send(m);
    };
    const ready = children.map((c) => waitFor(c, 'ready'));
    children.forEach((c, i) => send(c, { type: 'job', job: jobs[i]! }));
    await Promise.all(ready);
    const done = children.map((c) => waitFor(c, 'done'));
    const t0 = performance.now();
    children.forEach((c) => send(c, { type: 'go' }));
    const results = (await Promise.all(done)) as Extract<WorkerMessage, { type: 'done' }>[];
    const wallMs = performance.now() - t0;
    await Promise.all(exits);
    return { results, wallMs };
  } catch (e) {
    for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
    await Promise.all(exits);
    throw e;
  }
}

async function benchPostgres(machine: string[]): Promise<void> {
  log(`\n[b] PostgreSQL: starting a private server`);
  let pgHandle: PgHandle | undefined;
  const dataDir = tempDir('custos-bench-pgdata-');
  try {
    pgHandle = await startPostgres();
    const url = pgHandle.url;
    const pgPid = postmasterPid(pgHandle);
    const admin = new pg.Client({ connectionString: url });
    admin.on('error', () => undefined);
    await admin.connect();
    try {
      const version = await describePostgres(
        admin,
        ['fsync', 'synchronous_commit', 'wal_sync_method', 'shared_buffers', 'max_wal_size'],
        machine,
      );
      log(`  ${version} at ${url} (ready in ${pgHandle.startMs} ms)`);

      const bl = await openLedger({ dataDir, databaseUrl: url });
      await bl.close();
      const perWriter = Math.ceil((PG_TARGET - 1) / PG_WRITERS);
      log(
        `  ${PG_WRITERS} writer processes x ${fmtInt(PG_CALLERS)} callers in flight, ` +
          `up to ${fmtInt(perWriter)} appends each or ${PG_SECONDS} s`,
      );
      const base: Omit<WorkerJob, 'mode' | 'writer' | 'target' | 'durationMs'> = {
        url,
        writers: PG_WRITERS,
        callers: PG_CALLERS,
        rowSize: typicalRecordSize(500_000),
        rowsPerStatement: 1000,
        rowsPerTransaction: 10_000,
      };
      const pgCpu0 = processTreeCpuMs(pgPid);
      const ledgerRun = await runWorkers(
        Array.from({ length: PG_WRITERS }, (_, writer) => ({
          ...base,
          mode: 'ledger' as const,
          writer,
          target: perWriter,
          durationMs: PG_SECONDS * 1000,
        })),
      );
      const pgCpu = processTreeCpuMs(pgPid) - pgCpu0;
      const appended = ledgerRun.results.reduce((n, r) => n + r.count, 0);
      const errors = ledgerRun.results.reduce((n, r) => n + r.errors, 0);
      const workerCpu = ledgerRun.results.reduce((n, r) => n + r.cpuMs, 0);
      const appendsPerSec = perSecond(appended, ledgerRun.wallMs);
      log(
        `  ${fmtInt(appendsPerSec)} appends/s (${fmtInt(appended)} in ${(ledgerRun.wallMs / 1000).toFixed(1)} s, ` +
          `${errors} errors; per writer ${ledgerRun.results.map((r) => fmtInt(perSecond(r.count, r.ms))).join(', ')})`,
      );
      const cpuText =
        `CPU per append: writer processes ${((workerCpu * 1000) / appended).toFixed(1)} µs, ` +
        `PostgreSQL server ${((pgCpu * 1000) / appended).toFixed(1)} µs; ` +
        `${((workerCpu + pgCpu) / ledgerRun.wallMs).toFixed(2)} of ${os.cpus().length} cores busy`;
      log(`  ${cpuText}`);
      if (errors > 0) note(`${errors} PostgreSQL appends failed`);

      // Contiguity: every index 0..max present exactly once (PRIMARY KEY), and the head agrees.
      const check = await admin.query<{
        n: string;
        max: string;
        leaves: string;
        nodes: string;
        head: string;
      }>(
        `SELECT (SELECT count(*) FROM ledger_records) AS n, (SELECT max(idx) FROM ledger_records) AS max,
                (SELECT count(*) FROM ledger_nodes WHERE level = 0) AS leaves,
                (SELECT count(*) FROM ledger_nodes) AS nodes,
                (SELECT size FROM ledger_head WHERE id = 1) AS head`,
      );
      const c = check.rows[0]!;
      const [n, max, leaves, nodes, head] = [c.n, c.max, c.leaves, c.nodes, c.head].map(Number) as [
        number,
        number,
        number,
        number,
        number,
      ];
      const contiguous = n === max + 1 && leaves === n && head === n && n === appended + 1;
      log(
        `  contiguity: count ${fmtInt(n)}, max index ${fmtInt(max)}, leaves ${fmtInt(leaves)}, head ${fmtInt(head)} ` +
          `=> ${contiguous ? 'contiguous' : 'NOT CONTIGUOUS'}`,
      );
      if (!contiguous) note(`PostgreSQL ledger NOT contiguous: count ${n}, max ${max}, head ${head}`);

      // d. proofs, before the raw load below so that its checkpoints do not land in the samples.
      log(`\n[d] proofs on PostgreSQL at ${fmtInt(n)} records, ${fmtInt(SAMPLES)} samples each`);
      if (n < 1_000_000) {
        note(
          `the PostgreSQL ledger holds ${fmtInt(n)} records (< 1,000,000): its proof latencies are at that size, not 1M`,
        );
      }
      const reader = await openLedger({ dataDir, databaseUrl: url });
      try {
        const rawSelect = (): Promise<unknown> =>
          reader.store.read.query('SELECT hash FROM ledger_nodes WHERE level = ? AND idx = ?', [
            0,
            randomInt(n),
          ]);
        // Right after the load the server is still checkpointing and autovacuuming the new rows.
        await proofLatencies('PostgreSQL, right after the 8-writer load', reader, n, rawSelect);
        log('  VACUUM ANALYZE + CHECKPOINT (what autovacuum and the checkpointer do on their own)');
        await admin.query('VACUUM ANALYZE ledger_records, ledger_nodes');
        await admin.query('CHECKPOINT');
        await proofLatencies('PostgreSQL, after VACUUM ANALYZE + CHECKPOINT', reader, n, rawSelect);
      } finally {
        await reader.close();
      }

      log(`\n[b] raw: ${PG_WRITERS} client processes, multi-row INSERT, ${base.rowSize} B rows`);
      await admin.query('CREATE TABLE bench_raw (idx BIGINT PRIMARY KEY, data BYTEA NOT NULL)');
      const rawRun = await runWorkers(
        Array.from({ length: PG_WRITERS }, (_, writer) => ({
          ...base,
          mode: 'raw' as const,
          writer,
          target: 10_000_000,
          durationMs: 20_000,
        })),
      );
      const rawRows = rawRun.results.reduce((sum, r) => sum + r.count, 0);
      const rawPerSec = perSecond(rawRows, rawRun.wallMs);
      log(
        `  raw: ${fmtInt(rawPerSec)} rows/s (${fmtInt(rawRows)} rows in ${(rawRun.wallMs / 1000).toFixed(1)} s)`,
      );
      await admin.query('DROP TABLE bench_raw');
      rows.push({
        part: 'b',
        figure: `durable appends/s, PostgreSQL, ${PG_WRITERS} writer processes x ${fmtInt(PG_CALLERS)} callers (${contiguous ? 'indexes contiguous' : 'INDEXES NOT CONTIGUOUS'}; ${cpuText})`,
        measured: fmtInt(appendsPerSec),
        raw: `${fmtInt(rawPerSec)} INSERT rows/s (${PG_WRITERS} processes, ${base.rowSize} B rows, 1,000-row INSERTs, 10,000-row transactions); an append writes 1 record row + ${(nodes / n).toFixed(2)} node rows`,
        target: '>= 30,000/s',
        pass: appendsPerSec >= 30_000 && contiguous && errors === 0,
      });
    } finally {
      await admin.end();
    }
  } finally {
    await pgHandle?.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------- machine and report

function describeMachine(): string[] {
  const cpus = os.cpus();
  const sqlite = new Database(':memory:');
  const sqliteVersion = (sqlite.prepare('SELECT sqlite_version() AS v').get() as { v: string }).v;
  sqlite.close();
  const tmp = os.tmpdir();
  const df = sh('df', ['-PTh', tmp]).split('\n').slice(1).join(' ').replace(/\s+/g, ' ');
  const device = df.split(' ')[0] ?? '';
  const rota = sh('lsblk', ['-dno', 'NAME,ROTA,MODEL,SIZE', device]).replace(/\s+/g, ' ');
  return [
    `CPU: ${cpus[0]?.model ?? 'unknown'} x ${cpus.length} (os.cpus)`,
    `memory: ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB`,
    `OS: ${os.type()} ${os.release()} ${os.arch()}`,
    `Node.js: ${process.version}`,
    `SQLite: ${sqliteVersion} (better-sqlite3)`,
    `temp dir: ${tmp} on ${df || '(unknown)'}${rota && rota !== '(unavailable)' ? `; lsblk: ${rota}` : ''}`,
    `load average at start (1/5/15 min): ${loadText()}`,
  ];
}

async function writeResults(machine: readonly string[], totalMs: number): Promise<void> {
  const file = path.join(HERE, 'RESULTS.md');
  const header = fs.existsSync(file)
    ? ''
    : '# Ledger benchmark results\n\nAppended by `npm run bench:ledger` (bench/ledger-bench.ts). Each figure sits beside the raw limit measured in the same run.\n';
  const escape = (s: string): string => s.replaceAll('|', '\\|');
  const table = [
    '| figure | measured | raw limit (same run) | target | pass/fail |',
    '| --- | --- | --- | --- | --- |',
    ...rows.map(
      (r) =>
        `| ${escape(r.figure)} | ${escape(r.measured)} | ${escape(r.raw)} | ${escape(r.target)} | ${r.pass === undefined ? '-' : r.pass ? 'PASS' : 'FAIL'} |`,
    ),
  ];
  const section = [
    '',
    `## ${new Date().toISOString()} — ${os.hostname()}`,
    '',
    `Command: \`npm run bench:ledger${process.argv.slice(2).length > 0 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}\` (${(totalMs / 1000).toFixed(0)} s)`,
    '',
    ...machine.map((m) => `- ${m}`),
    '',
    ...table,
    ...(notes.length > 0 ? ['', ...notes.map((n) => `- ${n}`)] : []),
    '',
  ];
  fs.appendFileSync(file, `${header}${section.join('\n')}`);
  // Keep the file as `prettier --check .` (npm run lint) wants it.
  const options = (await prettier.resolveConfig(file)) ?? {};
  fs.writeFileSync(
    file,
    await prettier.format(fs.readFileSync(file, 'utf8'), { ...options, filepath: file }),
  );
  log(`\nresults appended to ${path.relative(process.cwd(), file)}`);
}

async function main(): Promise<void> {
  const t0 = performance.now();
  const machine = describeMachine();
  log('Custos ledger benchmark');
  for (const m of machine) log(`  ${m}`);
  if (ONLY === undefined || ONLY === 'sqlite') await benchSqlite(machine);
  if (ONLY === undefined || ONLY === 'pg') await benchPostgres(machine);
  const totalMs = performance.now() - t0;
  machine.push(
    `load average at the end (1/5/15 min): ${loadText()} (other processes on this machine share its CPUs)`,
  );
  rows.sort((x, y) => x.part.localeCompare(y.part));
  log('\nfigure | measured | raw limit | target | pass/fail');
  for (const r of rows) {
    log(`${r.figure} | ${r.measured} | ${r.raw} | ${r.target} | ${r.pass ? 'PASS' : 'FAIL'}`);
  }
  log(`\nmachine:`);
  for (const m of machine) log(`  ${m}`);
  log(`total ${(totalMs / 1000).toFixed(0)} s`);
  if (WRITE_RESULTS) await writeResults(machine, totalMs);
}

await main();
