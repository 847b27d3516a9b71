/**
 * What execution, verification and rollback share: their dependencies and hooks, the delegated
 * authority of one attempt, connector calls bounded by the step timeout, crash points, and how a
 * failure becomes the reason a run is paused.
 */
import { raiseAlert } from '../alerts/index.js';
import { notifyList } from './notify.js';
import type { JsonValue } from '../core/canonical-json.js';
import { CustosError, isCustosError } from '../core/errors.js';
import type { AuthorityIssuer, MintedAuthority } from '../authority/index.js';
import type { Connector, Step } from '../connectors/contract.js';
import type { Inventory } from '../inventory/index.js';
import type { Ledger } from '../ledger/ledger.js';
import type { LedgerTx } from '../ledger/ledger-writer.js';
import type { Run } from './run-model.js';
import { requestedIdentities } from '../workflows/index.js';
import type { DoneStep } from './inventory-effects.js';
import type { RunWriter } from './run-writes.js';
import type { ExecutorInstance } from './run-claims.js';

/**
 * The moments at which a crash leaves a distinct durable state behind, in the order execution
 * reaches them (`apply:after` is after the target committed the effect, before Custos recorded it).
 * Execution starts in one transaction (the decision when it was automatic, `execution_started` and
 * the first step's `step_started` with its prior state), and a run's last step records
 * `step_applied` with `applied` and the verdict of verification: `step_applied:after` is reached
 * only between the steps of a run of several, and when a rollback settles a step whose outcome was
 * unknown; `verify:after` (the targets read back, nothing recorded yet) leaves what `apply:after`
 * leaves.
 */
export const CRASH_POINTS = [
  'execution_started:before',
  'step_started:after',
  'apply:after',
  'step_applied:after',
  'verify:after',
  'verified:after',
  'restore:before',
  'restore:after',
  'rolled_back:after',
] as const;
export type CrashPoint = (typeof CRASH_POINTS)[number];

export interface ExecuteHooks {
  /**
   * Runs inside the transaction that records `verified`, so what it writes commits with the run's
   * completion or not at all (exception and break-glass grants).
   */
  readonly onVerified?: (tx: LedgerTx, run: Run, steps: readonly DoneStep[]) => Promise<void>;
  /** The workflow's owners and escalation path, for alerts (the engine knows the bundles). */
  readonly workflowOwners?: (run: Run) => Promise<string[]>;
  /** Called at each crash point, after what precedes it is durable: crash tests kill the process here. */
  readonly crashPoint?: (name: CrashPoint) => void;
}

export interface ExecuteDeps extends ExecuteHooks {
  readonly ledger: Ledger;
  readonly inventory: Inventory;
  readonly connectors: ReadonlyMap<string, Connector>;
  readonly authority: AuthorityIssuer;
  readonly now: () => Date;
  /** Bounds every connector call; may be fractional. The delegated authority expires with it. */
  readonly stepTimeoutSeconds: number;
  /** Group-commits the transactions of execution with those of other runs (run-writes.ts). */
  readonly runs: RunWriter;
  /** This process as an executor: runs it takes into execution name it (run-claims.ts). */
  readonly instance: ExecutorInstance;
}

export interface Failure {
  readonly reason: string;
  readonly retryable: boolean;
  readonly step: string;
}

export function failureOf(e: unknown, step: string): Failure {
  return {
    reason: e instanceof Error ? e.message : String(e),
    retryable: e instanceof CustosError && e.retryable,
    step,
  };
}

/** Another worker moved the run or its step on: not a failure of this run, so not a pause. */
export function isConcurrent(e: unknown): boolean {
  return isCustosError(e, 'RUN_TRANSITION_INVALID');
}

export function executorOf(run: Run) {
  return { kind: 'non_human' as const, id: run.executor ?? 'executor:unknown' };
}

/**
 * The delegated authority of one attempt, for exactly these steps of this run. It expires with the
 * step timeout, so a long run mints a fresh one before a step that could outlive the current one.
 */
export class RunAuthority {
  private current: MintedAuthority | undefined;

  constructor(
    private readonly deps: ExecuteDeps,
    private readonly run: Run,
    private readonly steps: readonly Step[],
  ) {}

  /**
   * The claims recorded with the attempt (never the token: it is a bearer credential); null for a
   * run with no step on any target (an exception), which needs no authority.
   */
  async claims(): Promise<{ jti: string; exp: number; grants: JsonValue } | null> {
    if (this.steps.length === 0) return null;
    await this.token();
    const c = this.current!.claims;
    return { jti: c.jti, exp: c.exp, grants: c.grants.map((g) => ({ ...g })) };
  }

  /** The jti of the current authority (after `token()`). */
  get jti(): string {
    return this.current?.claims.jti ?? '';
  }

  async token(): Promise<string> {
    const left = (this.current?.claims.exp ?? 0) * 1000 - this.deps.now().getTime();
    if (this.current === undefined || left < this.deps.stepTimeoutSeconds * 1000) {
      this.current = await this.deps.authority.mintWithClaims({
        runId: this.run.id,
        requestDigest: this.run.digest!,
        executor: executorOf(this.run).id,
        grants: this.steps.map((s) => ({ action: s.action, system: s.system.id, identity: s.identity.id })),
        // JWT times are whole seconds and `iat` is rounded down: one more second makes sure the
        // authority outlives a step's timeout, and not by more than that.
        ttlSeconds: Math.ceil(this.deps.stepTimeoutSeconds) + 1,
      });
    }
    return this.current.token;
  }
}

/**
 * A connector call bounded by the step timeout. A call that does not settle in time fails with a
 * retryable CONNECTOR_UNAVAILABLE: the run pauses, and the effect's outcome stays unknown until a
 * later attempt settles it (apply is idempotent per run and step). The late call is abandoned, not
 * cancelled: its result, if it ever comes, is ignored.
 */
export function bounded<T>(deps: ExecuteDeps, what: string, step: Step, call: Promise<T>): Promise<T> {
  const seconds = deps.stepTimeoutSeconds;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(
        new CustosError(
          'CONNECTOR_UNAVAILABLE',
          `${what} of step ${step.stepId} on ${step.system.id} did not finish within ${seconds} s`,
          {
            retryable: true,
            details: { stepId: step.stepId, system: step.system.id, timeoutSeconds: seconds },
          },
        ),
      );
    }, seconds * 1000);
  });
  call.catch(() => undefined); // a late rejection of an abandoned call is not unhandled
  return Promise.race([call, timeout]).finally(() => clearTimeout(timer));
}

/**
 * A paused run alerts its owners, in the transaction that pauses it: the identity's owners, the
 * workflow's owners and escalation path (from the engine), and the requester when a person.
 */
export async function alertPaused(
  tx: LedgerTx,
  deps: ExecuteDeps,
  run: Run,
  reason: string | null,
): Promise<void> {
  const owners: string[] = [];
  for (const id of requestedIdentities(run.request))
    owners.push(...Object.values((await deps.inventory.getIdentity(id))?.owners ?? {}));
  const notify = notifyList([run.requester, ...owners, ...((await deps.workflowOwners?.(run)) ?? [])]);
  await raiseAlert(
    tx,
    {
      subject: { kind: 'run', id: run.id },
      correlationId: run.id,
      kind: 'run.paused',
      severity: 'critical',
      notify,
      summary: `run ${run.id} paused: ${reason ?? 'unknown reason'}`.slice(0, 300),
      details: { state: 'paused', reason, workflow: run.workflow, attempts: run.attempts },
    },
    deps.now(),
  );
}

/**
 * A run continued after an interruption says so, with the authority of the continuing attempt, the
 * instance continuing it and the one it was taken from (null: nobody had claimed it).
 */
export async function recordRecovery(
  deps: ExecuteDeps,
  run: Run,
  authority: RunAuthority,
  takenFrom: string | null = null,
): Promise<void> {
  await deps.ledger.append({
    type: 'run.recovered',
    correlationId: run.id,
    actor: executorOf(run),
    subject: { kind: 'run', id: run.id },
    ...(run.bundleHash === null ? {} : { bundleHash: run.bundleHash }),
    payload: {
      state: run.state,
      attempt: run.attempts,
      authority: await authority.claims(),
      instance: run.claimedBy,
      takenFrom,
    },
  });
}
