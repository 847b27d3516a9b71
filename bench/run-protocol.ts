/** Messages between the run benchmark (bench/run-bench.ts) and its worker processes (bench/run-worker.ts). */
import type { JWK } from 'jose';

/**
 * What a worker process runs:
 *   custos       the Custos run engine: submit an auto-approved `tokens` request, to completion;
 *   dbos-insert  a DBOS workflow of 3 steps (DBOS.runStep), each a one-row INSERT (autocommit);
 *   dbos-noop    the same workflow, each step returning a value without touching a database;
 *   raw          bare PostgreSQL: one-row INSERT autocommit transactions (the raw limit).
 */
export type RunKind = 'custos' | 'dbos-insert' | 'dbos-noop' | 'raw';

export interface CustosSetup {
  /** The Custos store (ledger, inventory, runs). */
  readonly url: string;
  /** The tokens target's own store (a separate database on the same server). */
  readonly targetUrl: string;
  readonly authority: { readonly privateJwk: JWK; readonly publicJwk: JWK; readonly kid: string };
  /** 32 bytes, hex: the tokens connector's fingerprint key (shared by every worker). */
  readonly fingerprintKey: string;
}

export interface DbosSetup {
  readonly systemUrl: string;
  /** Where the INSERT steps write (dbos-insert). */
  readonly appUrl: string;
  readonly poolSize: number;
}

export interface RunJob {
  readonly kind: RunKind;
  readonly worker: number;
  /** Concurrent runs (workflows, transactions) this worker keeps in flight. */
  readonly inflight: number;
  /** Runs done before `ready` (JIT, connections, prepared statements). */
  readonly warmup: number;
  /** The timed part stops once this worker has done at least `minRuns` and `minMs` has passed. */
  readonly minRuns: number;
  readonly minMs: number;
  /** Makes identity names and idempotency keys unique across jobs. */
  readonly prefix: string;
  readonly custos?: CustosSetup;
  readonly dbos?: DbosSetup;
  /** raw: connections in this worker's pool. */
  readonly rawUrl?: string;
  readonly rawPool?: number;
}

/**
 * job, then go (start the timed part), then close: a worker keeps its connections open until the
 * parent has read the server's CPU, so that no backend exits while it is being counted.
 */
export type RunParentMessage =
  { readonly type: 'job'; readonly job: RunJob } | { readonly type: 'go' } | { readonly type: 'close' };

export interface RunDone {
  readonly type: 'done';
  readonly count: number;
  readonly errors: number;
  readonly firstError: string | undefined;
  readonly ms: number;
  /** CPU time (user + system) of this process in the timed part. */
  readonly cpuMs: number;
  /** Per run (file -> completed), ms, in completion order. */
  readonly latencies: readonly number[];
  /** custos: client-side round trips and time per phase over the timed part (see run-worker.ts). */
  readonly counters: Readonly<Record<string, number>>;
}

export type RunWorkerMessage =
  { readonly type: 'ready' } | RunDone | { readonly type: 'failed'; readonly error: string };
