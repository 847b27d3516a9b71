/** Shared pieces of the benchmarks (main scripts and their worker processes). */
import crypto from 'node:crypto';
import { execFileSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type pg from 'pg';
import type { RecordDraft } from '../src/ledger/record.js';
import type { PgHandle } from '../test/harness/postgres.js';

/** A record of moderate size, like an identity change (same shape as the test suite's drafts). */
export function benchDraft(i: number, writer = 0): RecordDraft {
  return {
    type: 'bench.identity_changed',
    correlationId: `bench-${writer}-${Math.floor(i / 100)}`,
    actor: { kind: 'non_human', id: 'pipeline:bench' },
    subject: { kind: 'identity', id: `svc-${i % 1000}` },
    payload: {
      i,
      writer,
      change: 'rotate',
      note: 'a record of moderate size, as identity changes are',
      scopes: ['read:secrets', 'write:deploy'],
    },
  };
}

/** Messages between the main script and a PostgreSQL worker process. */
export interface WorkerJob {
  readonly mode: 'ledger' | 'raw';
  readonly url: string;
  readonly writer: number;
  readonly writers: number;
  /** Ledger mode: concurrent callers in this process, each awaiting its own append. */
  readonly callers: number;
  /** Stop after this many appends / rows ... */
  readonly target: number;
  /** ... or after this long, whichever comes first. */
  readonly durationMs: number;
  /** Raw mode: bytes per row and rows per INSERT / per transaction. */
  readonly rowSize: number;
  readonly rowsPerStatement: number;
  readonly rowsPerTransaction: number;
}

export type ParentMessage = { readonly type: 'job'; readonly job: WorkerJob } | { readonly type: 'go' };

export type WorkerMessage =
  | { readonly type: 'ready' }
  | {
      readonly type: 'done';
      readonly count: number;
      readonly ms: number;
      readonly errors: number;
      /** CPU time (user + system) this process spent in the timed run. */
      readonly cpuMs: number;
    }
  | { readonly type: 'failed'; readonly error: string };

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

export function fmtInt(n: number): string {
  return Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : String(n);
}

export function fmtMs(n: number): string {
  return `${n.toFixed(3)} ms`;
}

/** `--name N` from the command line: a positive integer, or `fallback`. */
export function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const n = Number(process.argv[i + 1]);
  if (!Number.isSafeInteger(n) || n <= 0) throw new Error(`--${name} needs a positive integer`);
  return n;
}

/** `--name 1,4` from the command line: positive integers, or `fallback`. */
export function listOption(name: string, fallback: readonly number[]): number[] {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return [...fallback];
  const values = (process.argv[i + 1] ?? '').split(',').map(Number);
  if (values.length === 0 || values.some((n) => !Number.isSafeInteger(n) || n <= 0)) {
    throw new Error(`--${name} needs positive integers separated by commas`);
  }
  return values;
}

/** `--name a,b` from the command line: words among `allowed`, or all of `allowed`. */
export function wordsOption<T extends string>(name: string, allowed: readonly T[]): T[] {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return [...allowed];
  const words = (process.argv[i + 1] ?? '').split(',');
  const bad = words.filter((w) => !(allowed as readonly string[]).includes(w));
  if (bad.length > 0) throw new Error(`--${name} takes ${allowed.join(', ')}; not ${bad.join(', ')}`);
  return words as T[];
}

/** The 1/5/15-minute load averages, printed beside every figure on this shared machine. */
export function loadText(): string {
  return os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' / ');
}

/**
 * CPU time the hypervisor gave to other guests while this VM wanted it (the `steal` column of
 * /proc/stat, all CPUs), in ms; undefined where there is no /proc/stat. On a shared VM it is what
 * makes the same code measure differently from one hour to the next.
 */
export function stolenCpuMs(): number | undefined {
  try {
    const cpu = fs.readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/);
    // cpu user nice system idle iowait irq softirq steal ..., in USER_HZ (100 per second on Linux).
    return (Number(cpu[8]) * 1000) / 100;
  } catch {
    return undefined;
  }
}

export function sh(cmd: string, args: readonly string[]): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return '(unavailable)';
  }
}

/** Median fsync latency of a 4 KiB append on the temp dir's disk: what one group commit costs at least. */
export function fsyncLatencyMs(dir: string): number {
  const file = path.join(dir, 'fsync-probe');
  const fd = fs.openSync(file, 'w');
  const block = Buffer.alloc(4096, 1);
  const samples: number[] = [];
  try {
    for (let i = 0; i < 100; i++) {
      fs.writeSync(fd, block);
      const t0 = performance.now();
      fs.fdatasyncSync(fd);
      samples.push(performance.now() - t0);
    }
  } finally {
    fs.closeSync(fd);
    fs.rmSync(file);
  }
  samples.sort((a, b) => a - b);
  return percentile(samples, 50);
}

/**
 * What this machine's CPU does per operation, measured on one thread, so that figures of runs on
 * different machines can be compared: the same code has measured 2.5x apart in CPU per run on VMs of
 * the same kind. The operations are ones a run does: Ed25519 signing and verification (node:crypto,
 * the OpenSSL bundled with Node), SHA-256 of a record-sized input, JSON of a record-sized object.
 */
export function cpuReference(): string {
  const { privateKey, publicKey } = crypto.generateKeyPairSync('ed25519');
  const record = {
    type: 'run.step_applied',
    correlationId: 'run_00000000-0000-4000-8000-000000000000',
    payload: { outputs: Object.fromEntries(Array.from({ length: 24 }, (_, i) => [`k${i}`, 'x'.repeat(24)])) },
  };
  const text = Buffer.from(JSON.stringify(record));
  const signature = crypto.sign(null, text, privateKey);
  const median = (n: number, fn: () => unknown): number => {
    const samples: number[] = [];
    for (let round = 0; round < 7; round++) {
      const t0 = performance.now();
      for (let i = 0; i < n; i++) fn();
      samples.push(((performance.now() - t0) * 1000) / n);
    }
    samples.sort((a, b) => a - b);
    return samples[3]!;
  };
  const sign = median(200, () => crypto.sign(null, text, privateKey));
  const verify = median(200, () => crypto.verify(null, text, publicKey, signature));
  const sha = median(2000, () => crypto.createHash('sha256').update(text).digest());
  const json = median(2000, () => JSON.stringify(JSON.parse(text.toString())));
  return (
    `CPU reference (one thread, median of 7 rounds): Ed25519 sign ${sign.toFixed(1)} µs, verify ${verify.toFixed(1)} µs; ` +
    `SHA-256 of ${text.length} B ${sha.toFixed(2)} µs; JSON parse + stringify of it ${json.toFixed(1)} µs`
  );
}

const CLK_TCK = Number(sh('getconf', ['CLK_TCK'])) || 100;

/** CPU milliseconds (user + system) used so far by a process and its children, live or exited (Linux /proc). */
export function processTreeCpuMs(rootPid: number): number {
  let ticks = 0;
  let entries: string[];
  try {
    entries = fs.readdirSync('/proc').filter((e) => /^\d+$/.test(e));
  } catch {
    return NaN;
  }
  for (const pid of entries) {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const ppid = Number(fields[1]);
      // utime + stime; the root also carries cutime + cstime of its children that have exited.
      if (Number(pid) === rootPid)
        ticks += Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]);
      else if (ppid === rootPid) ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // the process ended meanwhile
    }
  }
  return (ticks * 1000) / CLK_TCK;
}

/** The PostgreSQL server's postmaster pid, from its data directory. */
export function postmasterPid(handle: PgHandle): number {
  try {
    return Number(fs.readFileSync(path.join(handle.dir, 'data', 'postmaster.pid'), 'utf8').split('\n')[0]);
  } catch {
    return NaN;
  }
}

/**
 * The next message of `type` from a forked worker; rejects on its `failed` message or its exit
 * (a message sent just before exiting may be read after the exit is seen: it gets a moment).
 */
export function waitForWorker<M extends { readonly type: string }>(
  child: ChildProcess,
  type: M['type'],
): Promise<M> {
  return new Promise((resolve, reject) => {
    const onMessage = (m: M): void => {
      if (m.type === 'failed')
        reject(new Error(`worker failed: ${(m as unknown as { error: string }).error}`));
      else if (m.type === type) {
        child.off('message', onMessage);
        resolve(m);
      }
    };
    child.on('message', onMessage);
    child.once('exit', (code) => {
      setTimeout(() => reject(new Error(`worker exited (${code}) before ${type}`)), 500);
    });
  });
}

/**
 * The PostgreSQL a benchmark ran against, as lines for its results: the server's version and the
 * settings that move its figures. Returns the version too (for the log).
 */
export async function describePostgres(
  admin: Pick<pg.Client, 'query'>,
  settingNames: readonly string[],
  machine: string[],
): Promise<string> {
  const version = (await admin.query<{ v: string }>('SELECT version() AS v')).rows[0]!.v;
  const settings = await admin.query<{ name: string; setting: string }>(
    'SELECT name, setting FROM pg_settings WHERE name = ANY($1::text[])',
    [settingNames],
  );
  machine.push(`PostgreSQL: ${version}`);
  machine.push(
    `PostgreSQL settings (private server from test/harness/postgres.ts): ${settings.rows.map((r) => `${r.name}=${r.setting}`).join(', ')}`,
  );
  return version;
}
