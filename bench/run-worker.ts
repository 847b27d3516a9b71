/**
 * One worker process of the run benchmark, forked by run-bench.ts (run with tsx). A worker is one
 * OS process with its own engine and its own connections to the shared PostgreSQL:
 *   custos       its own store connections (one ledger write connection, a read pool of 4), its own
 *                RunEngine (Ledger, Inventory, BundleRegistry, authority issuer) and its own tokens
 *                connector on its own connection to the target database; `inflight` async loops each
 *                file a new auto-approved token request and advance it until `completed`;
 *   dbos-*       DBOS launched in this process (its own executor id and system-database pool);
 *                `inflight` async loops each start a 3-step workflow and await its result;
 *   raw          a pg.Pool; `inflight` async loops each run a one-row INSERT (one commit each).
 * It warms up, says `ready`, waits for `go` so that all workers start together, then runs until it
 * has done at least `minRuns` and `minMs` has passed, and reports counts, latencies and counters.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import { Session } from 'node:inspector/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { authorityJwks, createAuthorityIssuer, createAuthorityVerifier } from '../src/authority/index.js';
import type { Connector } from '../src/connectors/contract.js';
import { TokensConnector, generateTokenSigningKey } from '../src/connectors/tokens/index.js';
import { createInventory } from '../src/inventory/index.js';
import { Ledger } from '../src/ledger/ledger.js';
import { CedarMemo, CedarThread } from '../src/policy/index.js';
import { fingerprintKeyFrom } from '../src/ledger/secrets.js';
import { RunEngine } from '../src/runs/index.js';
import { RunWriter, type RunWrite } from '../src/runs/run-writes.js';
import type { Run } from '../src/runs/index.js';
import { openStore } from '../src/store/index.js';
import type { Sql, Store } from '../src/store/sql.js';
import type { PlainRequest } from '../src/workflows/index.js';
import { BundleRegistry } from '../src/workflows/index.js';
import type { RunJob, RunParentMessage, RunWorkerMessage } from './run-protocol.js';

/** Resolves once the message is handed to the IPC channel. */
function send(message: RunWorkerMessage): Promise<void> {
  return new Promise((resolve) => {
    if (process.send === undefined) resolve();
    else process.send(message, undefined, undefined, () => resolve());
  });
}

function nextMessage(): Promise<RunParentMessage> {
  return new Promise((resolve) => process.once('message', (m) => resolve(m as RunParentMessage)));
}

function errorText(e: unknown): string {
  return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
}

/** Named counters; `rt.<database>` are PostgreSQL round trips (every Client.query of this process). */
const counters = new Map<string, number>();

function count(name: string, n: number): void {
  counters.set(name, (counters.get(name) ?? 0) + n);
}

// Every statement of this process (Custos, DBOS and raw alike) goes through pg.Client#query.
const clientPrototype = pg.Client.prototype as unknown as {
  query: (this: pg.Client, ...args: unknown[]) => unknown;
};
const clientQuery = clientPrototype.query;
clientPrototype.query = function (this: pg.Client, ...args: unknown[]): unknown {
  count(`rt.${this.database ?? '?'}`, 1);
  const config = args[0];
  const text = typeof config === 'string' ? config : (config as { text?: string } | undefined)?.text;
  count(`sql.${this.database ?? '?'}.${statementKind(text ?? '?')}`, 1);
  return clientQuery.apply(this, args);
};

const kinds = new Map<string, string>();

/**
 * A statement's kind, for counting: its text up to WHERE/VALUES/SET (multi-row INSERTs count once).
 * Remembered by text, so that counting costs a lookup, not a pass over kilobytes of SQL per query.
 */
function statementKind(text: string): string {
  let kind = kinds.get(text);
  if (kind === undefined) {
    const flat = text.replace(/\s+/g, ' ').trim();
    const cut = flat.search(/ (WHERE|VALUES|SET|ORDER BY) /);
    kind = (cut < 0 ? flat : flat.slice(0, cut)).slice(0, 90);
    if (kinds.size < 10_000) kinds.set(text, kind);
  }
  return kind;
}

async function timedPhase<T>(name: string, fn: () => Promise<T>): Promise<T> {
  const t0 = performance.now();
  try {
    return await fn();
  } finally {
    count(`${name}.ms`, performance.now() - t0);
    count(`${name}.calls`, 1);
  }
}

/** The read side of a store, timing every query as phase `read`. */
function timedSql(sql: Sql): Sql {
  return {
    dialect: sql.dialect,
    query: (text, params) => timedPhase('read', () => sql.query(text, params)),
    run: (text, params) => timedPhase('read', () => sql.run(text, params)),
  };
}

/** A connector whose readPrior/apply/verify time is counted as phase `connector`. */
function timedConnector(real: Connector): Connector {
  return {
    describe: () => real.describe(),
    checkStep: (step) => {
      real.checkStep(step);
    },
    plan: (step, authority) => real.plan(step, authority),
    readPrior: (step, authority) => timedPhase('connector', () => real.readPrior(step, authority)),
    apply: (step, authority) => timedPhase('connector', () => real.apply(step, authority)),
    verify: (step, authority, secret) => timedPhase('connector', () => real.verify(step, authority, secret)),
    rollback: (step, authority, prior) => real.rollback(step, authority, prior),
    list: (system, authority) => real.list(system, authority),
    endSessions: (step, authority) => real.endSessions(step, authority),
  };
}

/**
 * The auto-approved request of examples/bundle/policies/tokens.cedar (`tokens-ci-create`, low risk).
 * Its justification, one of its own, is in the decision's context, as the API puts it there
 * (service/handlers-runs.ts) for a request whose context has none.
 */
function tokenRequest(name: string, justification: string): PlainRequest {
  return {
    principal: 'service:ci-pipeline',
    action: 'create',
    resource: { new: { name, kind: 'token', system: 'tokens', tags: ['service:payments'] } },
    context: { durationMinutes: 60, justification },
  };
}

interface Driver {
  /** One run, start to finish; throws (or returns a reason) when it did not complete. */
  one(i: number): Promise<string | undefined>;
  close(): Promise<void>;
}

async function custosDriver(job: RunJob): Promise<Driver> {
  const setup = job.custos!;
  const now = () => new Date();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'custos-run-bench-'));
  const opened = await openStore({ dataDir, databaseUrl: setup.url });
  const store: Store = {
    dialect: opened.dialect,
    read: timedSql(opened.read),
    write: opened.write,
    description: opened.description,
    close: () => opened.close(),
  };
  const target = await openStore({ dataDir, databaseUrl: setup.targetUrl });
  const ledger = new Ledger({ store, now });
  // A run's transactions: its group-committed run writes, and any other ledger transaction it makes
  // (the run writer's own merged transactions are not counted again).
  const transact = ledger.transact.bind(ledger);
  let merging = 0;
  ledger.transact = (fn) => (merging > 0 ? transact(fn) : timedPhase('ledger', () => transact(fn)));
  const writer = RunWriter.prototype as unknown as {
    write: (this: RunWriter, w: RunWrite) => Promise<Run>;
  };
  const write = writer.write;
  writer.write = function (this: RunWriter, w: RunWrite) {
    merging++;
    try {
      return timedPhase('ledger', () => write.call(this, w));
    } finally {
      merging--;
    }
  };
  const inventory = createInventory({ ledger, now });
  const bundles = new BundleRegistry({ ledger, principals: (id) => inventory.getPrincipal(id) });
  const { privateJwk, publicJwk, kid } = setup.authority;
  const issuer = createAuthorityIssuer({ privateKey: privateJwk, kid, issuer: 'custos', now });
  const verifier = createAuthorityVerifier({
    publicKeys: authorityJwks([{ privateJwk, publicJwk, kid }]),
    issuer: 'custos',
    now,
    // As main.ts wires them.
    sameProcessIssuer: issuer,
  });
  const tokens = new TokensConnector({
    conn: target.write,
    authority: verifier,
    fingerprintKey: fingerprintKeyFrom(Buffer.from(setup.fingerprintKey, 'hex')),
    signingKey: await generateTokenSigningKey(),
    now,
  });
  // As `custos serve` runs it (main.ts): Cedar on a thread of its own, its answers remembered.
  const policy = new CedarThread();
  const { evaluate } = new CedarMemo(policy.evaluate);
  const engine = new RunEngine({
    ledger,
    inventory,
    bundles,
    connectors: new Map([['tokens', timedConnector(tokens)]]),
    authority: issuer,
    now,
    evaluate,
  });
  return {
    one: async (i) => {
      const key = `${job.prefix}-${i}`;
      const { run, secrets } = await timedPhase('submit', () =>
        engine.submit({
          request: tokenRequest(`bench-${key}`, `bench run ${key}`),
          requester: 'service:ci-pipeline',
          justification: `bench run ${key}`,
          idempotencyKey: key,
        }),
      );
      if (run.state !== 'completed') return `run ${run.id} ended ${run.state}: ${run.reason ?? ''}`;
      if (secrets.length !== 1) return `run ${run.id} issued ${secrets.length} secrets`;
      return undefined;
    },
    close: async () => {
      await ledger.writer.idle();
      await policy.close();
      await store.close();
      await target.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

async function dbosDriver(job: RunJob): Promise<Driver> {
  const setup = job.dbos!;
  const insert = job.kind === 'dbos-insert';
  // Imported here so that custos and raw workers do not load DBOS.
  const { DBOS } = await import('@dbos-inc/dbos-sdk');
  const app = new pg.Pool({ connectionString: setup.appUrl, max: setup.poolSize });
  app.on('error', () => undefined);
  const work = async (workflowId: string, step: number): Promise<number> => {
    if (insert) {
      await app.query('INSERT INTO dbos_bench_steps (workflow_id, step) VALUES ($1, $2)', [workflowId, step]);
    }
    return step;
  };
  const workflow = DBOS.registerWorkflow(
    async (i: number): Promise<number> => {
      const id = DBOS.workflowID!;
      await DBOS.runStep(() => work(id, 1), { name: 'step1' });
      await DBOS.runStep(() => work(id, 2), { name: 'step2' });
      await DBOS.runStep(() => work(id, 3), { name: 'step3' });
      return i;
    },
    { name: 'benchWorkflow' },
  );
  DBOS.setConfig({
    name: 'custos-run-bench',
    systemDatabaseUrl: setup.systemUrl,
    systemDatabasePoolSize: setup.poolSize,
    executorID: `${job.prefix}-executor`,
    logLevel: 'error',
  });
  await DBOS.launch();
  return {
    one: async (i) => {
      const handle = await DBOS.startWorkflow(workflow)(i);
      const result = await handle.getResult();
      return result === i ? undefined : `workflow ${handle.workflowID} returned ${String(result)}`;
    },
    close: async () => {
      await DBOS.shutdown();
      await app.end();
    },
  };
}

function rawDriver(job: RunJob): Driver {
  const pool = new pg.Pool({ connectionString: job.rawUrl, max: job.rawPool ?? 8 });
  pool.on('error', () => undefined);
  const note = crypto.randomBytes(24).toString('hex');
  return {
    one: async (i) => {
      await pool.query('INSERT INTO raw_commits (worker, i, note) VALUES ($1, $2, $3)', [
        job.worker,
        i,
        note,
      ]);
      return undefined;
    },
    close: () => pool.end(),
  };
}

/**
 * With CUSTOS_BENCH_PROFILE_DIR set (run-bench's --cpu-prof DIR), profiles the timed part only through
 * the inspector and returns a function that writes DIR/<name>.cpuprofile. (node --cpu-prof profiles the
 * whole process and, on Node 20.20, aborts in V8's deoptimizer under this load.)
 */
async function startProfiler(): Promise<((name: string) => Promise<void>) | undefined> {
  const dir = process.env.CUSTOS_BENCH_PROFILE_DIR;
  if (dir === undefined) return undefined;
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  return async (name) => {
    const { profile } = await session.post('Profiler.stop');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, `${name}.cpuprofile`), JSON.stringify(profile));
    session.disconnect();
  };
}

async function main(): Promise<void> {
  const first = await nextMessage();
  if (first.type !== 'job') throw new Error('expected a job');
  const job = first.job;
  const driver =
    job.kind === 'custos'
      ? await custosDriver(job)
      : job.kind === 'raw'
        ? rawDriver(job)
        : await dbosDriver(job);
  try {
    let issued = 0;
    // Warm-up: the same loops, not timed. Run numbers continue into the timed part (unique keys).
    const warm = async (): Promise<void> => {
      while (issued < job.warmup) {
        const reason = await driver.one(issued++);
        if (reason !== undefined) throw new Error(`warm-up run failed: ${reason}`);
      }
    };
    await Promise.all(Array.from({ length: Math.min(job.inflight, Math.max(1, job.warmup)) }, warm));
    counters.clear();
    await send({ type: 'ready' });
    await nextMessage(); // go

    const profiler = await startProfiler();
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    const deadline = t0 + job.minMs;
    const latencies: number[] = [];
    let count = 0;
    let errors = 0;
    let firstError: string | undefined;
    const target = issued + job.minRuns;
    const loop = async (): Promise<void> => {
      while (issued < target || performance.now() < deadline) {
        const i = issued++;
        const start = performance.now();
        let reason: string | undefined;
        try {
          reason = await driver.one(i);
        } catch (e) {
          reason = errorText(e);
        }
        if (reason === undefined) {
          latencies.push(performance.now() - start);
          count++;
        } else {
          errors++;
          firstError ??= reason;
        }
      }
    };
    await Promise.all(Array.from({ length: job.inflight }, loop));
    const ms = performance.now() - t0;
    const used = process.cpuUsage(cpu0);
    await profiler?.(`${job.kind}-${job.prefix}`);
    await send({
      type: 'done',
      count,
      errors,
      firstError,
      ms,
      cpuMs: (used.user + used.system) / 1000,
      latencies,
      counters: Object.fromEntries(counters),
    });
    await nextMessage(); // close
  } finally {
    await driver.close();
  }
}

main().then(
  () => process.disconnect?.(),
  async (e: unknown) => {
    process.exitCode = 1;
    await send({ type: 'failed', error: e instanceof Error ? (e.stack ?? e.message) : String(e) });
    process.disconnect?.();
  },
);
