import os from 'node:os';
/** Shared pieces of the ledger benchmark (main script and PostgreSQL worker processes). */
import type { RecordDraft } from '../src/ledger/record.js';

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

/** The 1/5/15-minute load averages, printed beside every figure on this shared machine. */
export function loadText(): string {
  return os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' / ');
}
