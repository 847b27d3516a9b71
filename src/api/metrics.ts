/**
 * What /metrics exposes. Measured, not invented: runs by state, approval latency, the ledger's
 * size and connector errors by target are read from the store at each scrape (the runs table, and
 * the ledger index: the time a run was routed to approvers and the time it was approved or
 * rejected, as its records say; every `run.failed` record by the system of the failed step), so
 * they hold for the whole installation and survive restarts. Request counts and durations, the
 * time writes take to commit their ledger records, and how policy decisions were evaluated are
 * measured by this process.
 */
import type { Custos } from '../main.js';
import { RUN_STATES } from '../runs/index.js';
import type { LedgerIndex } from '../service/index.js';
import { Counter, Histogram, renderFamily, type Sample } from './prometheus.js';

const SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const APPROVAL = [60, 300, 900, 1800, 3600, 4 * 3600, 8 * 3600, 86400, 3 * 86400, 7 * 86400];

export class Metrics {
  readonly requests = new Counter(
    'custos_http_requests_total',
    'HTTP requests answered, by operation and status',
  );
  readonly requestSeconds = new Histogram(
    'custos_http_request_duration_seconds',
    'Time to answer an HTTP request, by operation',
    SECONDS,
  );
  /** Fed by LocalService's onWrite: a write returns once its ledger records are committed. */
  readonly appendSeconds = new Histogram(
    'custos_ledger_append_seconds',
    'Time for a write operation to commit its change with its ledger records, by operation',
    SECONDS,
  );

  constructor(
    private readonly custos: Custos,
    private readonly index: LedgerIndex,
  ) {}

  async render(): Promise<string> {
    await this.index.catchUp();
    const read = this.custos.store.read;
    const parts = [this.requests.render(), this.requestSeconds.render(), this.appendSeconds.render()];

    const states = new Map(
      (
        await read.query<{ state: string; n: number }>('SELECT state, COUNT(*) AS n FROM runs GROUP BY state')
      ).map((r) => [r.state, r.n]),
    );
    parts.push(
      renderFamily(
        'custos_runs',
        'gauge',
        'Runs in each state',
        RUN_STATES.map((state) => ({ labels: { state }, value: states.get(state) ?? 0 })),
      ),
    );
    parts.push(await this.approvalLatency());
    const size = await this.custos.ledger.size();
    const checkpoint = await this.custos.ledger.latestCheckpoint();
    parts.push(
      renderFamily('custos_ledger_size', 'gauge', 'Records in the ledger', [{ labels: {}, value: size }]),
    );
    parts.push(
      renderFamily('custos_ledger_checkpoint_size', 'gauge', 'Tree size of the latest signed checkpoint', [
        { labels: {}, value: checkpoint?.size ?? 0 },
      ]),
    );
    // Measured by this process since it started: decisions answered from remembered Cedar answers
    // (src/policy/cedar-memo.ts) and those Cedar evaluated.
    const policy = this.custos.policyStats();
    parts.push(
      renderFamily(
        'custos_policy_evaluations_total',
        'counter',
        "The run engine's policy decisions in this process, by where Cedar's answer came from",
        [
          { labels: { answer: 'evaluated' }, value: policy?.evaluated ?? 0 },
          { labels: { answer: 'remembered' }, value: policy?.hits ?? 0 },
        ],
      ),
    );
    const failures = await read.query<{ target: string | null; n: number }>(
      "SELECT target, COUNT(*) AS n FROM ledger_index WHERE type = 'run.failed' GROUP BY target",
    );
    parts.push(
      renderFamily(
        'custos_connector_errors_total',
        'counter',
        'Run steps that failed on a target (run.failed records), by target system',
        failures.map((f): Sample => ({ labels: { target: f.target ?? 'unknown' }, value: f.n })),
      ),
    );
    return parts.join('');
  }

  /** Time from a run's routing to approvers to its approval or rejection, from its records. */
  private async approvalLatency(): Promise<string> {
    const rows = await this.custos.store.read.query<{ asked: string; decided: string; type: string }>(
      `SELECT a.time AS asked, b.time AS decided, b.type AS type
       FROM ledger_index a JOIN ledger_index b ON b.correlation_id = a.correlation_id
       WHERE a.type = 'run.decided_approvals' AND b.type IN ('run.approved', 'run.rejected')`,
    );
    const histogram = new Histogram(
      'custos_approval_latency_seconds',
      'Time from a run awaiting approval to its approval or rejection, by outcome',
      APPROVAL,
    );
    for (const row of rows) {
      const seconds = (Date.parse(row.decided) - Date.parse(row.asked)) / 1000;
      if (Number.isFinite(seconds)) histogram.observe({ outcome: row.type.slice(4) }, Math.max(0, seconds));
    }
    return histogram.render();
  }
}
