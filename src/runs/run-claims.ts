/**
 * Several processes may execute runs from one store (PostgreSQL; the embedded SQLite store has one
 * process by design). Each process that executes runs is an executor instance: it registers itself
 * on first use and beats a heartbeat every third of its lease while it lives. A run taken into
 * execution (started, resumed, rolled back, or taken over) names its instance in `runs.claimed_by`,
 * in the transaction of that transition — no statement of its own.
 *
 * A run in motion is another process's business while that process is alive. Recovery continues a
 * run only when its instance stopped (a clean shutdown says so at once) or missed its heartbeat for
 * longer than its lease (a crash, a lost machine), and only after winning the run with a
 * compare-and-set on `claimed_by`, so two survivors never both take over the same run. A run never
 * claimed (approved and waiting for its requester, or left by a version before claims) is continued
 * only by a process at its start, as before.
 *
 * An instance of this host whose process is gone is dead at once: a process restarted after a crash
 * continues its predecessor's runs without waiting out the lease.
 *
 * A lease is a bet on time: a process that stalls longer than its lease (a frozen VM) may find its
 * run taken over. Its next transition then fails (each moves only from the state its writer read),
 * and each connector settles a step against its target's own journal, keyed by run and step, so the
 * effect is still applied once.
 */
import crypto from 'node:crypto';
import os from 'node:os';
import type { Ledger } from '../ledger/ledger.js';
import type { Sql } from '../store/sql.js';
import type { Run } from './run-model.js';

export const DEFAULT_LEASE_SECONDS = 30;

export interface InstanceDeps {
  readonly ledger: Ledger;
  readonly now: () => Date;
}

export class ExecutorInstance {
  /** `host:pid:random`: says where to look when an operator sees it on a run. */
  readonly id: string;
  private registered: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly deps: InstanceDeps,
    readonly leaseSeconds: number = DEFAULT_LEASE_SECONDS,
  ) {
    if (!Number.isFinite(leaseSeconds) || leaseSeconds < 1) throw new TypeError('a lease is at least 1 s');
    this.id = `${os.hostname()}:${process.pid}:${crypto.randomBytes(4).toString('hex')}`;
  }

  /** This instance's id, registered (once) with its heartbeat running. */
  async claim(): Promise<string> {
    this.registered ??= this.register();
    await this.registered;
    return this.id;
  }

  /** Records the heartbeat now (the timer calls it; a host loop may too). */
  async beat(): Promise<void> {
    if (this.registered === undefined || this.stopped) return;
    await this.deps.ledger.transact((tx) =>
      tx.run('UPDATE executor_instances SET heartbeat_at = ? WHERE id = ?', [this.at(), this.id]),
    );
  }

  /** A clean shutdown: peers may take over this instance's runs at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) clearInterval(this.timer);
    if (this.registered === undefined) return;
    await this.registered;
    await this.deps.ledger.transact((tx) =>
      tx.run('UPDATE executor_instances SET stopped_at = ? WHERE id = ?', [this.at(), this.id]),
    );
  }

  private async register(): Promise<void> {
    const at = this.at();
    await this.deps.ledger.transact((tx) =>
      tx.run(
        'INSERT INTO executor_instances (id, host, pid, started_at, heartbeat_at, lease_seconds) VALUES (?, ?, ?, ?, ?, ?)',
        [this.id, os.hostname(), process.pid, at, at, Math.ceil(this.leaseSeconds)],
      ),
    );
    // A missed beat is retried by the next one; the lease allows two to fail.
    this.timer = setInterval(() => void this.beat().catch(() => undefined), (this.leaseSeconds * 1000) / 3);
    this.timer.unref();
  }

  private at(): string {
    return this.deps.now().toISOString();
  }
}

/**
 * The instances alive at `now`: not stopped, heartbeat within their lease, and — for an instance of
 * this host — its process still running (a process restarted after a crash need not wait out the
 * lease of the one that died).
 */
export async function liveInstances(sql: Sql, now: Date): Promise<Set<string>> {
  const rows = await sql.query<{
    id: string;
    host: string;
    pid: number | string;
    heartbeat_at: string;
    lease_seconds: number | string;
  }>('SELECT id, host, pid, heartbeat_at, lease_seconds FROM executor_instances WHERE stopped_at IS NULL');
  const t = now.getTime();
  return new Set(
    rows
      .filter((r) => Date.parse(r.heartbeat_at) + Number(r.lease_seconds) * 1000 >= t)
      .filter((r) => !goneHere(r.host, Number(r.pid)))
      .map((r) => r.id),
  );
}

/** A process of this host that no longer exists (signal 0 checks without sending anything). */
function goneHere(host: string, pid: number): boolean {
  if (host !== os.hostname() || pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/**
 * Whether `run` may be taken over by `me` now: it is not mine, and it is either unclaimed (only when
 * `unclaimed` allows) or claimed by an instance that is not alive.
 */
export function takeable(run: Run, me: string, live: ReadonlySet<string>, unclaimed: boolean): boolean {
  if (run.claimedBy === me) return false;
  if (run.claimedBy === null) return unclaimed;
  return !live.has(run.claimedBy);
}

/** Takes a run over for `me` if nobody moved or claimed it since it was read; the run as won, or undefined. */
export async function claimRun(ledger: Ledger, run: Run, me: string): Promise<Run | undefined> {
  const { value: changed } = await ledger.transact((tx) =>
    run.claimedBy === null
      ? tx.run('UPDATE runs SET claimed_by = ? WHERE id = ? AND state = ? AND claimed_by IS NULL', [
          me,
          run.id,
          run.state,
        ])
      : tx.run('UPDATE runs SET claimed_by = ? WHERE id = ? AND state = ? AND claimed_by = ?', [
          me,
          run.id,
          run.state,
          run.claimedBy,
        ]),
  );
  return changed === 1 ? { ...run, claimedBy: me } : undefined;
}
