/**
 * Run-throughput benchmark: `npm run bench:runs` (tsx bench/run-bench.ts).
 *
 * On one private PostgreSQL 15 (test/harness/postgres.ts, fsync on, synchronous_commit on) it measures,
 * in the same run and one after another:
 *   - Custos: auto-approved runs per second end to end. A run is RunEngine.submit() of a low-risk
 *     token request of the CI service (`tokens-ci-create` in examples/bundle), as the API files it,
 *     until the run is `completed`: requested, decided_auto, execution_started, step_started,
 *     step_applied, applied, verified, each a ledger record committed with its state change, and the
 *     created identity written back to the inventory with its record; the `tokens` target issues a
 *     real EdDSA token in its own database on the same server, reads it back and verifies it;
 *   - DBOS (@dbos-inc/dbos-sdk): a workflow of 3 DBOS.runStep steps, started with DBOS.startWorkflow
 *     and awaited with getResult(), its system database on the same server; twice: each step a one-row
 *     INSERT (autocommit, in a database of its own), and each step a no-op;
 *   - the raw limit: bare one-row INSERT transactions (one durable commit each) on the same server.
 * A worker is one OS process (child_process.fork) with its own engine and connections; each keeps
 * `--inflight` runs in flight (async loops in the process). Each figure is taken with 1 and 4 workers
 * and with 32 and 128 runs in flight per worker (the offered concurrency: a server sees many clients),
 * plus a serial pass (1 worker, 1 run in flight) for the latency and the time per phase of one run.
 * Each worker warms up (`--warmup` runs), then every database is ANALYZEd (analyzeAll), then all
 * start together and run until each has done its share of `--runs` and `--seconds` have passed. The
 * warm-up is long enough for V8 to have compiled the hot code: after 200 runs, `perf` still found a
 * quarter of a Custos worker's CPU in TurboFan's compiler (7 % after 1,500, 1.7 % 50 s into a run),
 * and the CPU per run of 4 workers fell from 3.4 to 2.5 ms. A server runs for days; every system gets
 * the same warm-up, and each figure is at least 15 s of timed work (single short runs of one build
 * vary by ±20 % on this VM). Afterwards: every Custos run is `completed` with its records in order
 * (RUN_RECORDS), the live ledger verifies (verifyLive); every DBOS workflow is SUCCESS.
 *
 * Options: --workers 1,4  --inflight 32,128 (runs in flight per worker)  --runs N (at least N runs per
 *   configuration, default 1000)  --seconds S (and at least S seconds, default 15)  --warmup N (runs per
 *   worker before timing, default 3000)  --serial-runs N (the serial pass, default 200)  --dbos-pool N
 *   (DBOS system-database pool and step pool per worker, default 10, the SDK's default)
 *   --only raw,custos,dbos-insert,dbos-noop  --no-serial  --no-results  --cpu-prof DIR (each worker
 *   writes a V8 CPU profile of its timed part there, <kind>-<prefix>.cpuprofile).
 * Results are appended to bench/RESULTS.md unless --no-results.
 */
import { fork, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import * as prettier from 'prettier';
import { generateAuthorityKey } from '../src/authority/index.js';
import { importInventory, createInventory } from '../src/inventory/index.js';
import { Ledger } from '../src/ledger/ledger.js';
import { verifyLive } from '../src/ledger/ledger-verify.js';
import { generateNoteKey, parseSignerKey } from '../src/ledger/note/index.js';
import type { SignedState } from '../src/ledger/checkpoint-signer.js';
import { loadBundle } from '../src/policy/index.js';
import { openStore } from '../src/store/index.js';
import { BundleRegistry } from '../src/workflows/index.js';
import { createDatabase, startPostgres, type PgHandle } from '../test/harness/postgres.js';
import {
  fmtInt,
  cpuReference,
  fsyncLatencyMs,
  listOption,
  loadText,
  option,
  percentile,
  postmasterPid,
  processTreeCpuMs,
  sh,
  stolenCpuMs,
  wordsOption,
  waitForWorker,
  describePostgres,
} from './common.js';
import type {
  CustosSetup,
  DbosSetup,
  RunDone,
  RunJob,
  RunKind,
  RunParentMessage,
  RunWorkerMessage,
} from './run-protocol.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const EXAMPLES = path.resolve(HERE, '../examples');
const ORIGIN = 'bench.custos/runs';
/** The records of one auto-approved run, in order. */
const RUN_RECORDS = [
  'run.requested',
  'run.decided_auto',
  'run.execution_started',
  'run.step_started',
  'run.step_applied',
  'run.applied',
  'run.verified',
  'inventory.identity_created',
] as const;

// ---------------------------------------------------------------- options

const WORKERS = listOption('workers', [1, 4]);
const INFLIGHTS = listOption('inflight', [32, 128]);
const RUNS = option('runs', 1000);
const SECONDS = option('seconds', 15);
const WARMUP = option('warmup', 3000);
const SERIAL_RUNS = option('serial-runs', 200);
const SERIAL_WARMUP = 30;
const DBOS_POOL = option('dbos-pool', 10);
const KINDS = wordsOption<RunKind>('only', ['raw', 'custos', 'dbos-insert', 'dbos-noop']);
const SERIAL = !process.argv.includes('--no-serial');
const WRITE_RESULTS = !process.argv.includes('--no-results');
const profileAt = process.argv.indexOf('--cpu-prof');
/** Where workers write CPU profiles of their timed part (taken through node:inspector), when asked. */
const PROFILE_DIR = profileAt < 0 ? undefined : path.resolve(process.argv[profileAt + 1] ?? 'profiles');

function log(line: string): void {
  console.log(line);
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

// ---------------------------------------------------------------- workers

interface Config {
  readonly kind: RunKind;
  readonly workers: number;
  readonly inflight: number;
}

/**
 * Node flags of every worker, Custos's and DBOS's alike: the young generation docs/cli.md gives
 * `custos serve`. With many runs in flight, V8's default (16 MiB semi-spaces) promotes runs still
 * under way to the old generation, whose collection then costs (docs/runs.md, Throughput).
 */
const WORKER_NODE_FLAGS = ['--max-semi-space-size=64'] as const;

function configText(c: Config): string {
  return `${c.workers} worker${c.workers === 1 ? '' : 's'} x ${c.inflight} in flight`;
}

/** Forks one worker per job, starts them together, returns their results, wall time and PostgreSQL CPU. */
async function runWorkers(
  jobs: readonly RunJob[],
  beforeGo: () => Promise<void>,
  pgPid: number,
): Promise<{ results: RunDone[]; wallMs: number; pgCpuMs: number; stolenMs: number }> {
  const script = path.join(HERE, 'run-worker.ts');
  const children: ChildProcess[] = jobs.map(() =>
    fork(script, [], {
      execArgv: ['--import', 'tsx', ...WORKER_NODE_FLAGS],
      env:
        PROFILE_DIR === undefined ? process.env : { ...process.env, CUSTOS_BENCH_PROFILE_DIR: PROFILE_DIR },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    }),
  );
  const exits = children.map((child) => new Promise<void>((resolve) => child.once('exit', () => resolve())));
  try {
    const waitFor = (child: ChildProcess, type: 'ready' | 'done'): Promise<RunWorkerMessage> =>
      waitForWorker<RunWorkerMessage>(child, type);
    const send = (child: ChildProcess, m: RunParentMessage): void => {
      child.send(m);
    };
    const ready = children.map((c) => waitFor(c, 'ready'));
    children.forEach((c, i) => send(c, { type: 'job', job: jobs[i]! }));
    await Promise.all(ready);
    await beforeGo();
    const done = children.map((c) => waitFor(c, 'done'));
    const cpu0 = processTreeCpuMs(pgPid);
    const stolen0 = stolenCpuMs();
    const t0 = performance.now();
    children.forEach((c) => send(c, { type: 'go' }));
    const results = (await Promise.all(done)) as RunDone[];
    const wallMs = performance.now() - t0;
    const pgCpuMs = processTreeCpuMs(pgPid) - cpu0;
    const stolen1 = stolenCpuMs();
    children.forEach((c) => send(c, { type: 'close' }));
    await Promise.all(exits);
    const stolenMs = stolen0 === undefined || stolen1 === undefined ? NaN : stolen1 - stolen0;
    return { results, wallMs, pgCpuMs, stolenMs };
  } catch (e) {
    for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
    await Promise.all(exits);
    throw e;
  }
}

// ---------------------------------------------------------------- server statistics

interface ServerStats {
  /** Committed transactions in every database (pg_stat_database.xact_commit). */
  readonly commits: number;
  /** WAL fsyncs (pg_stat_wal.wal_sync) and bytes. */
  readonly walSyncs: number;
  readonly walBytes: number;
}

async function serverStats(admin: pg.Client): Promise<ServerStats> {
  const { rows } = await admin.query<{ commits: string; syncs: string; bytes: string }>(
    `SELECT (SELECT sum(xact_commit) FROM pg_stat_database) AS commits,
            (SELECT wal_sync FROM pg_stat_wal) AS syncs, (SELECT wal_bytes FROM pg_stat_wal) AS bytes`,
  );
  const r = rows[0]!;
  return { commits: Number(r.commits), walSyncs: Number(r.syncs), walBytes: Number(r.bytes) };
}

// ---------------------------------------------------------------- one measurement

interface Measured {
  readonly config: Config;
  readonly runs: number;
  readonly errors: number;
  readonly firstError: string | undefined;
  readonly wallMs: number;
  readonly perSec: number;
  readonly p50: number;
  readonly p99: number;
  /** Per completed run. */
  readonly commits: number;
  readonly walSyncs: number;
  readonly walBytes: number;
  /** Ledger records appended per run (Custos), NaN for the others. */
  readonly records: number;
  readonly workerCpuUs: number;
  readonly pgCpuUs: number;
  readonly coresBusy: number;
  /** Cores' worth of CPU the hypervisor gave to other guests during the figure (NaN: unknown). */
  readonly coresStolen: number;
  /** Summed over workers: round trips per database (`rt.<db>`) and phase times (custos). */
  readonly counters: Readonly<Record<string, number>>;
  readonly load: string;
}

function stolenText(m: Measured): string {
  return Number.isNaN(m.coresStolen) ? '-' : m.coresStolen.toFixed(2);
}

async function measure(
  config: Config,
  job: (worker: number) => RunJob,
  admin: pg.Client,
  pgPid: number,
  ledgerSize: (() => Promise<number>) | undefined,
  analyze: () => Promise<void>,
): Promise<Measured> {
  log(`\n[${config.kind}] ${configText(config)}`);
  let before: ServerStats | undefined;
  let sizeBefore = NaN;
  const jobs = Array.from({ length: config.workers }, (_, w) => job(w));
  const { results, wallMs, pgCpuMs, stolenMs } = await runWorkers(
    jobs,
    async () => {
      await analyze();
      // Backends flush their statistics at most once a second while busy: let the warm-up's land.
      await sleep(1500);
      before = await serverStats(admin);
      if (ledgerSize !== undefined) sizeBefore = await ledgerSize();
    },
    pgPid,
  );
  const sizeAfter = ledgerSize === undefined ? NaN : await ledgerSize();
  await sleep(500); // the workers' backends flush their statistics when they exit
  const after = await serverStats(admin);
  const runs = results.reduce((n, r) => n + r.count, 0);
  const errors = results.reduce((n, r) => n + r.errors, 0);
  const latencies = results.flatMap((r) => r.latencies).sort((a, b) => a - b);
  const workerCpu = results.reduce((n, r) => n + r.cpuMs, 0);
  const counters: Record<string, number> = {};
  for (const r of results) {
    for (const [k, v] of Object.entries(r.counters)) counters[k] = (counters[k] ?? 0) + v;
  }
  const m: Measured = {
    config,
    runs,
    errors,
    firstError: results.find((r) => r.firstError !== undefined)?.firstError,
    wallMs,
    perSec: (runs * 1000) / wallMs,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    commits: (after.commits - before!.commits) / runs,
    walSyncs: (after.walSyncs - before!.walSyncs) / runs,
    walBytes: (after.walBytes - before!.walBytes) / runs,
    records: (sizeAfter - sizeBefore) / (runs + errors),
    workerCpuUs: (workerCpu * 1000) / runs,
    pgCpuUs: (pgCpuMs * 1000) / runs,
    coresBusy: (workerCpu + pgCpuMs) / wallMs,
    coresStolen: stolenMs / wallMs,
    counters,
    load: loadText(),
  };
  log(
    `  ${fmtInt(m.perSec)} runs/s (${fmtInt(runs)} in ${(wallMs / 1000).toFixed(1)} s, ${errors} errors), ` +
      `latency p50 ${m.p50.toFixed(2)} ms / p99 ${m.p99.toFixed(2)} ms`,
  );
  log(
    `  per run: ${Number.isNaN(m.records) ? '' : `${m.records.toFixed(2)} ledger records, `}` +
      `${m.commits.toFixed(1)} server commits, ${m.walSyncs.toFixed(2)} WAL fsyncs, ` +
      `${fmtInt(m.walBytes)} WAL bytes, ${roundTripsText(m)} round trips; ` +
      `CPU ${fmtInt(m.workerCpuUs)} µs in workers + ${fmtInt(m.pgCpuUs)} µs in PostgreSQL; ` +
      `${m.coresBusy.toFixed(2)} of ${os.cpus().length} cores busy, ${stolenText(m)} stolen by the hypervisor; load ${m.load}`,
  );
  if (m.firstError !== undefined) log(`  first error: ${m.firstError}`);
  return m;
}

/** The statements of a run by kind (`sql.<db>.<kind>` counters), most frequent first. */
function statementsText(m: Measured, limit = 40): string[] {
  return Object.entries(m.counters)
    .filter(([k]) => k.startsWith('sql.'))
    .sort(([, a], [, b]) => b - a)
    .slice(0, limit)
    .map(([k, v]) => {
      const [db, ...kind] = k.slice(4).split('.');
      return `${(v / m.runs).toFixed(2)} × ${db}: \`${kind.join('.')}\``;
    });
}

function totalRoundTrips(m: Measured): number {
  return (
    Object.entries(m.counters)
      .filter(([k]) => k.startsWith('rt.'))
      .reduce((n, [, v]) => n + v, 0) / m.runs
  );
}

function roundTripsText(m: Measured): string {
  const parts = Object.entries(m.counters)
    .filter(([k]) => k.startsWith('rt.'))
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${(v / m.runs).toFixed(1)} ${k.slice(3)}`);
  const total = Object.entries(m.counters)
    .filter(([k]) => k.startsWith('rt.'))
    .reduce((n, [, v]) => n + v, 0);
  return `${(total / m.runs).toFixed(1)} (${parts.join(' + ')})`;
}

/** Custos only: where one run's wall time goes (meaningful in the serial pass, 1 in flight). */
function phasesText(m: Measured): string {
  const c = m.counters;
  const per = (name: string) => (c[`${name}.ms`] ?? 0) / m.runs;
  const calls = (name: string) => (c[`${name}.calls`] ?? 0) / m.runs;
  const total = per('submit');
  const rest = total - per('ledger') - per('connector') - per('read');
  return (
    `submit ${total.toFixed(2)} ms: ` +
    `ledger transactions (group-committed) ${per('ledger').toFixed(2)} ms (${calls('ledger').toFixed(0)}), ` +
    `tokens connector ${per('connector').toFixed(2)} ms (${calls('connector').toFixed(0)} calls), ` +
    `reads outside transactions ${per('read').toFixed(2)} ms (${calls('read').toFixed(0)} queries), ` +
    `the rest (policy decision, JWT mint/verify/sign, JSON, event loop) ${rest.toFixed(2)} ms`
  );
}

// ---------------------------------------------------------------- setup

interface Databases {
  readonly custos: string;
  readonly target: string;
  readonly dbosSystem: string;
  readonly app: string;
}

/**
 * ANALYZE every database, between the warm-up and the timed part. Tables created for the benchmark
 * and filled by its warm-up have never been analysed (autovacuum looks every 60 s, autovacuum_naptime),
 * so the planner would take them for ten pages and choose sequential scans that a deployment running
 * for more than a minute never sees: measured, `id IN (…)` on inventory_identities took 3 ms per query
 * as a scan instead of an index lookup. DBOS's tables are analysed the same way.
 */
async function analyzeAll(urls: Databases): Promise<void> {
  for (const url of [urls.custos, urls.target, urls.dbosSystem, urls.app]) {
    const client = new pg.Client({ connectionString: url });
    client.on('error', () => undefined);
    await client.connect();
    try {
      await client.query('ANALYZE');
    } finally {
      await client.end();
    }
  }
}

async function setupCustos(
  urls: Databases,
  dataDir: string,
): Promise<{ setup: CustosSetup; ledger: Ledger }> {
  const store = await openStore({ dataDir, databaseUrl: urls.custos });
  const { signerKey, verifierKey } = generateNoteKey(ORIGIN);
  let state: SignedState | undefined;
  const ledger = new Ledger({
    store,
    now: () => new Date(),
    signer: parseSignerKey(signerKey),
    signerState: { load: () => state, save: (s) => (state = s) },
  });
  await ledger.create(ORIGIN, verifierKey);
  const inventory = createInventory({ ledger, now: () => new Date() });
  const text = fs.readFileSync(path.join(EXAMPLES, 'inventory.yaml'), 'utf8');
  await importInventory(inventory, { file: 'inventory.yaml', text }, { actor: 'person:alice' });
  const bundles = new BundleRegistry({ ledger, principals: (id) => inventory.getPrincipal(id) });
  const bundle = loadBundle(path.join(EXAMPLES, 'bundle'));
  await bundles.file(bundle, 'person:pat');
  await bundles.decide(bundle.hash, 'person:paula', 'approve');
  // The target's own schema (the tokens tables), migrated once here rather than by racing workers.
  await (await openStore({ dataDir, databaseUrl: urls.target })).close();
  const authority = await generateAuthorityKey();
  return {
    ledger,
    setup: {
      url: urls.custos,
      targetUrl: urls.target,
      authority: { privateJwk: authority.privateJwk, publicJwk: authority.publicJwk, kid: authority.kid },
      fingerprintKey: crypto.randomBytes(32).toString('hex'),
    },
  };
}

/** Every run completed with its records in order (RUN_RECORDS); the ledger verifies. */
async function checkCustos(ledger: Ledger, firstRunRecord: number, expectedRuns: number): Promise<string[]> {
  const read = ledger.store.read;
  const states = await read.query<{ state: string; n: number | string }>(
    'SELECT state, COUNT(*) AS n FROM runs GROUP BY state ORDER BY state',
  );
  const byState = states.map((s) => `${s.state} ${fmtInt(Number(s.n))}`).join(', ');
  const completed = Number(states.find((s) => s.state === 'completed')?.n ?? 0);
  const total = states.reduce((n, s) => n + Number(s.n), 0);
  const rows = await read.query<{ data: Uint8Array }>(
    'SELECT data FROM ledger_records WHERE idx >= ? ORDER BY idx',
    [firstRunRecord],
  );
  const sequences = new Map<string, string[]>();
  for (const row of rows) {
    const record = JSON.parse(Buffer.from(row.data).toString('utf8')) as {
      type: string;
      correlationId: string;
    };
    let seq = sequences.get(record.correlationId);
    if (seq === undefined) sequences.set(record.correlationId, (seq = []));
    seq.push(record.type);
  }
  const expected = RUN_RECORDS.join(',');
  const bad = [...sequences.entries()].filter(([, seq]) => seq.join(',') !== expected);
  const t0 = performance.now();
  await ledger.checkpoint();
  const report = await verifyLive(ledger);
  const verifyMs = performance.now() - t0;
  const ok = completed === total && total === expectedRuns && bad.length === 0 && sequences.size === total;
  const lines = [
    `Custos runs in the store: ${byState} (${fmtInt(expectedRuns)} filed by the workers, warm-up included)`,
    `ledger records of runs: ${fmtInt(rows.length)} for ${fmtInt(sequences.size)} runs, ` +
      `${bad.length === 0 ? 'every one' : `${fmtInt(bad.length)} NOT`} exactly ${RUN_RECORDS.join(' -> ')}`,
    `signed a checkpoint and verified the live ledger (verifyLive): ${fmtInt(report.records)} records, ` +
      `${report.checkpoints} checkpoint(s), in ${(verifyMs / 1000).toFixed(1)} s => ${ok ? 'OK' : 'FAILED'}`,
  ];
  if (!ok) throw new Error(`Custos check failed:\n${lines.join('\n')}`);
  return lines;
}

async function checkDbos(
  systemUrl: string,
  appUrl: string,
  expected: number,
  inserts: number,
): Promise<string> {
  const sys = new pg.Client({ connectionString: systemUrl });
  const app = new pg.Client({ connectionString: appUrl });
  for (const c of [sys, app]) {
    c.on('error', () => undefined);
    await c.connect();
  }
  try {
    const status = await sys.query<{ status: string; n: string }>(
      `SELECT status, COUNT(*) AS n FROM dbos.workflow_status WHERE name = 'benchWorkflow' GROUP BY status`,
    );
    const ops = await sys.query<{ n: string }>(
      `SELECT COUNT(*) AS n FROM dbos.operation_outputs o JOIN dbos.workflow_status s USING (workflow_uuid)
       WHERE s.name = 'benchWorkflow' AND o.function_name LIKE 'step%'`,
    );
    const steps = await app.query<{ n: string }>('SELECT COUNT(*) AS n FROM dbos_bench_steps');
    const success = Number(status.rows.find((r) => r.status === 'SUCCESS')?.n ?? 0);
    const total = status.rows.reduce((n, r) => n + Number(r.n), 0);
    const ok =
      success === expected &&
      total === expected &&
      Number(ops.rows[0]!.n) === 3 * expected &&
      Number(steps.rows[0]!.n) === 3 * inserts;
    const line =
      `DBOS workflows: ${status.rows.map((r) => `${r.status} ${fmtInt(Number(r.n))}`).join(', ')} ` +
      `(${fmtInt(expected)} started, warm-up included); ${fmtInt(Number(ops.rows[0]!.n))} step checkpoints; ` +
      `${fmtInt(Number(steps.rows[0]!.n))} step rows inserted => ${ok ? 'OK' : 'FAILED'}`;
    if (!ok) throw new Error(`DBOS check failed: ${line}`);
    return line;
  } finally {
    await sys.end();
    await app.end();
  }
}

// ---------------------------------------------------------------- report

function describeMachine(): string[] {
  const cpus = os.cpus();
  const commit = sh('git', ['rev-parse', '--short', 'HEAD']);
  const changed = sh('git', ['status', '--porcelain']);
  return [
    `source: ${commit === '(unavailable)' ? 'not a git checkout' : `git ${commit}, ${changed === '' ? 'clean' : `${changed.split('\n').length} changed/new files`}`}`,
    `CPU: ${cpus[0]?.model ?? 'unknown'} x ${cpus.length} (os.cpus)`,
    `memory: ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB`,
    `OS: ${os.type()} ${os.release()} ${os.arch()}`,
    `Node.js: ${process.version}; workers run with ${WORKER_NODE_FLAGS.join(' ')}`,
    `load average at start (1/5/15 min): ${loadText()}`,
  ];
}

/** Appends the section (formatted on its own: the file is generated output, not prettier-checked). */
async function writeResults(section: readonly string[]): Promise<void> {
  const file = path.join(HERE, 'RESULTS.md');
  const text = await prettier.format(section.join('\n'), { parser: 'markdown', printWidth: 110 });
  fs.appendFileSync(file, `\n${text}`);
  log(`\nresults appended to ${path.relative(process.cwd(), file)}`);
}

/** The measurement of `kind` in the same configuration (workers and runs in flight) as `c`. */
function peerOf(all: readonly Measured[], kind: RunKind, c: Config): Measured | undefined {
  return all.find(
    (m) => m.config.kind === kind && m.config.workers === c.workers && m.config.inflight === c.inflight,
  );
}

async function main(): Promise<void> {
  const t0 = performance.now();
  const machine = describeMachine();
  log('Custos run-throughput benchmark');
  for (const m of machine) log(`  ${m}`);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'custos-run-bench-'));
  let handle: PgHandle | undefined;
  const measured: Measured[] = [];
  const checks: string[] = [];
  try {
    machine.push(
      `fsync (fdatasync of a 4 KiB append) median on the temp dir: ${fsyncLatencyMs(dataDir).toFixed(3)} ms`,
      cpuReference(),
    );
    handle = await startPostgres();
    const pgPid = postmasterPid(handle);
    const urls: Databases = {
      custos: handle.url,
      target: await createDatabase(handle.url, 'custos_target'),
      dbosSystem: await createDatabase(handle.url, 'dbos_system'),
      app: await createDatabase(handle.url, 'bench_app'),
    };
    const admin = new pg.Client({ connectionString: urls.app });
    admin.on('error', () => undefined);
    await admin.connect();
    try {
      const version = await describePostgres(
        admin,
        [
          'fsync',
          'synchronous_commit',
          'wal_sync_method',
          'shared_buffers',
          'max_connections',
          'commit_delay',
        ],
        machine,
      );
      const dbosVersion = (
        JSON.parse(
          fs.readFileSync(path.resolve(HERE, '../node_modules/@dbos-inc/dbos-sdk/package.json'), 'utf8'),
        ) as { version: string }
      ).version;
      machine.push(`@dbos-inc/dbos-sdk ${dbosVersion}`);
      log(`  ${version} (ready in ${handle.startMs} ms)`);
      await admin.query(
        'CREATE TABLE raw_commits (worker INT NOT NULL, i BIGINT NOT NULL, note TEXT NOT NULL)',
      );
      await admin.query(
        'CREATE TABLE dbos_bench_steps (workflow_id TEXT NOT NULL, step INT NOT NULL, PRIMARY KEY (workflow_id, step))',
      );

      let custos: { setup: CustosSetup; ledger: Ledger } | undefined;
      let firstRunRecord = 0;
      if (KINDS.includes('custos')) {
        custos = await setupCustos(urls, dataDir);
        firstRunRecord = await custos.ledger.size();
      }
      if (KINDS.some((k) => k.startsWith('dbos'))) {
        const { DBOS } = await import('@dbos-inc/dbos-sdk');
        await DBOS.migrate(urls.dbosSystem);
      }
      const dbos: DbosSetup = { systemUrl: urls.dbosSystem, appUrl: urls.app, poolSize: DBOS_POOL };

      const configs: Config[] = [];
      for (const kind of KINDS) {
        for (const inflight of INFLIGHTS)
          for (const workers of WORKERS) configs.push({ kind, workers, inflight });
      }
      if (SERIAL) {
        for (const kind of KINDS.filter((k) => k === 'custos' || k === 'dbos-insert'))
          configs.push({ kind, workers: 1, inflight: 1 });
      }
      let custosRuns = 0;
      let dbosRuns = 0;
      let dbosInserts = 0;
      for (const config of configs) {
        const prefix = crypto.randomBytes(4).toString('hex');
        const serial = config.inflight === 1;
        const m = await measure(
          config,
          (worker) => ({
            kind: config.kind,
            worker,
            inflight: config.inflight,
            warmup: serial ? SERIAL_WARMUP : WARMUP,
            minRuns: Math.ceil((serial ? SERIAL_RUNS : RUNS) / config.workers),
            minMs: SECONDS * 1000,
            prefix: `${prefix}-w${worker}`,
            ...(config.kind === 'custos' ? { custos: custos!.setup } : {}),
            ...(config.kind.startsWith('dbos') ? { dbos } : {}),
            ...(config.kind === 'raw' ? { rawUrl: urls.app, rawPool: Math.min(config.inflight, 32) } : {}),
          }),
          admin,
          pgPid,
          config.kind === 'custos' ? () => custos!.ledger.size() : undefined,
          () => analyzeAll(urls),
        );
        if (config.kind === 'custos') {
          log(`  phases per run: ${phasesText(m)}`);
          log(`  statements per run:\n    ${statementsText(m).join('\n    ')}`);
        }
        measured.push(m);
        const total = m.runs + m.errors + config.workers * (serial ? SERIAL_WARMUP : WARMUP);
        if (config.kind === 'custos') custosRuns += total;
        if (config.kind.startsWith('dbos')) dbosRuns += total;
        if (config.kind === 'dbos-insert') dbosInserts += total;
      }

      log('\n[checks]');
      if (custos !== undefined)
        checks.push(...(await checkCustos(custos.ledger, firstRunRecord, custosRuns)));
      if (dbosRuns > 0) checks.push(await checkDbos(urls.dbosSystem, urls.app, dbosRuns, dbosInserts));
      for (const c of checks) log(`  ${c}`);
      if (custos !== undefined) {
        await custos.ledger.writer.idle();
        await custos.ledger.store.close();
      }
    } finally {
      await admin.end();
    }
  } finally {
    await handle?.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
  const totalMs = performance.now() - t0;
  machine.push(
    `load average at the end (1/5/15 min): ${loadText()} (other processes on this machine share its CPUs)`,
  );
  const section = report(measured, machine, checks, totalMs);
  log(`\n${section.join('\n')}`);
  if (WRITE_RESULTS) await writeResults(section);
}

function report(
  all: readonly Measured[],
  machine: readonly string[],
  checks: readonly string[],
  totalMs: number,
): string[] {
  const escape = (s: string): string => s.replaceAll('|', '\\|');
  const rows: string[] = [];
  for (const m of all.filter((x) => x.config.kind !== 'raw')) {
    const serial = m.config.inflight === 1;
    const r = peerOf(all, 'raw', serial ? { ...m.config, inflight: INFLIGHTS[0]! } : m.config);
    const statements = totalRoundTrips(m);
    const rawText =
      r === undefined
        ? '-'
        : `${fmtInt(r.perSec)} one-row INSERT commits/s (${configText(r.config)}, 1 statement each); ` +
          `this row: ${m.commits.toFixed(1)} commits and ${statements.toFixed(1)} statements per run => ` +
          `${fmtInt(m.perSec * m.commits)} commits/s (${((100 * m.perSec * m.commits) / r.perSec).toFixed(0)} % of raw), ` +
          `${fmtInt(m.perSec * statements)} statements/s (${((100 * m.perSec * statements) / r.perSec).toFixed(0)} % of raw)`;
    let target = '-';
    let pass = '-';
    if (m.config.kind === 'custos' && !serial) {
      const peer = peerOf(all, 'dbos-insert', m.config);
      const noop = peerOf(all, 'dbos-noop', m.config);
      const ratio = peer === undefined ? NaN : m.perSec / peer.perSec;
      target =
        `>= 1,000/s and >= 2.5x DBOS: ${peer === undefined ? 'no DBOS figure' : `${ratio.toFixed(2)}x DBOS (INSERT steps)`}` +
        (noop === undefined ? '' : `, ${(m.perSec / noop.perSec).toFixed(2)}x DBOS (no-op steps)`);
      pass = m.perSec >= 1000 && ratio >= 2.5 && m.errors === 0 ? 'PASS' : 'FAIL';
    }
    const name =
      m.config.kind === 'custos'
        ? `Custos auto-approved runs/s end to end (tokens target, ${RUN_RECORDS.length} ledger records per run)`
        : `DBOS 3-step workflows/s (${m.config.kind === 'dbos-insert' ? 'each step a one-row INSERT' : 'no-op steps'})`;
    rows.push(
      `| ${escape(`${name}, ${configText(m.config)}`)} | ${fmtInt(m.perSec)} (p50 ${m.p50.toFixed(2)} ms / p99 ${m.p99.toFixed(2)} ms; ${m.errors} errors) | ${escape(rawText)} | ${escape(target)} | ${pass} |`,
    );
  }
  const detail = all.map(
    (m) =>
      `| ${m.config.kind} | ${m.config.workers} x ${m.config.inflight} | ${fmtInt(m.runs)} | ${(m.wallMs / 1000).toFixed(1)} | ${fmtInt(m.perSec)} | ${m.p50.toFixed(2)} / ${m.p99.toFixed(2)} | ${Number.isNaN(m.records) ? '-' : m.records.toFixed(2)} | ${m.commits.toFixed(1)} | ${m.walSyncs.toFixed(2)} | ${fmtInt(m.walBytes)} | ${escape(roundTripsText(m))} | ${fmtInt(m.workerCpuUs)} + ${fmtInt(m.pgCpuUs)} | ${m.coresBusy.toFixed(2)} | ${stolenText(m)} | ${m.load} |`,
  );
  const phases = all
    .filter((m) => m.config.kind === 'custos')
    .map((m) => `- Custos, ${configText(m.config)}: ${phasesText(m)}`);
  const one =
    all.find((m) => m.config.kind === 'custos' && m.config.inflight === 1) ??
    all.find((m) => m.config.kind === 'custos');
  const statementList =
    one === undefined
      ? []
      : [
          '',
          `The statements of one Custos run (${configText(one.config)}; client-side count of every pg query, by kind):`,
          '',
          ...statementsText(one, 30).map((t) => `- ${t}`),
        ];
  const args = process.argv.slice(2);
  return [
    `## Run throughput (bench/run-bench.ts) — ${new Date().toISOString()} — ${os.hostname()}`,
    '',
    `Command: \`npm run bench:runs${args.length > 0 ? ` -- ${args.join(' ')}` : ''}\` (${(totalMs / 1000).toFixed(0)} s)`,
    '',
    ...machine.map((m) => `- ${m}`),
    '',
    'A worker is one OS process (child_process.fork) with its own engine and its own connections to the ' +
      `shared PostgreSQL, keeping ${INFLIGHTS.join(' or ')} runs in flight (async loops); with 4 workers, 4 such processes ` +
      'run at once on the same store. Custos: RunEngine.submit of an auto-approved CI token request (filed, decided and executed; as the API files it) ' +
      'until `completed` (tokens target in its own database on the same server; a real EdDSA token issued, ' +
      `read back and verified). DBOS: 3 DBOS.runStep steps per workflow (system database on the same server, ` +
      `pool ${DBOS_POOL} per worker). Raw: one-row INSERT autocommit transactions from the same number of ` +
      'processes. Latency is per run (file to completed). Pass needs >= 1,000 runs/s and >= 2.5x the DBOS ' +
      'workflow with INSERT steps at the same worker count and runs in flight.',
    '',
    '| figure | measured (runs/s) | raw limit (same run) | target | pass/fail |',
    '| --- | --- | --- | --- | --- |',
    ...rows,
    '',
    '| system | workers x in flight | runs | s | runs/s | p50 / p99 ms | ledger records per run | server commits per run | WAL fsyncs per run | WAL bytes per run | statements (round trips) per run, by database | CPU µs per run: workers + PostgreSQL | cores busy | cores stolen | load (1/5/15) |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: | --- |',
    ...detail,
    '',
    'Where a Custos run spends its wall time (sums over runs of each phase, divided by runs; with many ' +
      'runs in flight the phases include queueing):',
    '',
    ...phases,
    ...statementList,
    '',
    ...checks.map((c) => `- ${c}`),
  ];
}

await main();
