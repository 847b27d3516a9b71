/** The run engine's face: file, advance, approve, and the named-person actions on a paused run. */
import { CustosError } from '../core/errors.js';
import { requestedIdentities } from '../workflows/index.js';
import type { SignedApproval } from '../approvals/index.js';
import type { AuthorityIssuer } from '../authority/index.js';
import type { Connector } from '../connectors/contract.js';
import type { LoadedBundle } from '../policy/index.js';
import type { Run } from './run-model.js';
import { movedOn, readRun, transition } from './run-store.js';
import { ExecutorInstance, claimRun, liveInstances, takeable } from './run-claims.js';
import {
  actorOf,
  fileRun,
  listRuns,
  planDecision,
  prepareFiling,
  recordDecision,
  type FileRequest,
  type PlannedDecision,
  type RunEngineCoreDeps,
} from './run-engine.js';
import { approveRun, registerApproverKey } from './run-approvals.js';
import { executeRun, rollbackRun, type Executed, type ExecuteHooks } from './run-execute.js';
import { recoverRuns } from './run-recover.js';
import type { LedgerTx } from '../ledger/ledger-writer.js';
import { onRunVerified, reviewGrant } from './grants.js';
import { recordInventoryEffects, type DoneStep } from './inventory-effects.js';
import { readOnce } from './inventory-reads.js';
import { RunWriter } from './run-writes.js';
import { SharedReads } from './shared-reads.js';
import { scheduleCredentialTimers } from './credential-timers.js';
import { listGrants, readGrant, type Grant, type GrantState } from './grant-store.js';
import { tick, workflowOfRun, type TickResult } from './tick.js';

export interface RunEngineDeps extends RunEngineCoreDeps, ExecuteHooks {
  readonly connectors: ReadonlyMap<string, Connector>;
  readonly authority: AuthorityIssuer;
  /** The delegated authority expires with the step timeout. */
  readonly stepTimeoutSeconds?: number;
  /** Resumes allowed per run: bounded, every attempt recorded. */
  readonly maxAttempts?: number;
  /** How long after a break-glass expires its post-hoc review is due (default one day). */
  readonly reviewWithinSeconds?: number;
  /** How long this process's runs stay its own without a heartbeat (run-claims.ts; default 30 s). */
  readonly leaseSeconds?: number;
}

export class RunEngine {
  private readonly writer: RunWriter;
  private readonly reads: SharedReads;
  /** This process as an executor of runs (run-claims.ts). */
  readonly instance: ExecutorInstance;

  constructor(private readonly deps: RunEngineDeps) {
    this.instance = new ExecutorInstance(deps, deps.leaseSeconds);
    this.writer = new RunWriter(deps.ledger);
    this.reads = new SharedReads(deps.ledger.store.read, deps.inventory, deps.bundles);
  }

  file(input: FileRequest): Promise<Run> {
    return fileRun(
      { ...this.deps, inventory: this.reads.inventory, writer: this.writer, reads: this.reads },
      input,
    );
  }

  get(id: string): Promise<Run> {
    return this.reads.run(id);
  }

  list(state?: string): Promise<Run[]> {
    return listRuns(this.deps, state);
  }

  registerApproverKey(principal: string, publicKey: string): Promise<string> {
    return registerApproverKey(this.deps, principal, publicKey);
  }

  approve(runId: string, approval: SignedApproval): Promise<Run> {
    return approveRun(this.deps, runId, approval);
  }

  /**
   * Files a request and moves it as far as it can go now, as `file` then `advance` would, in one
   * transaction fewer when the decision is automatic: the filing commits with the decision and the
   * start of execution. A run already filed under the idempotency key is returned, advanced if it
   * is still only requested. If the decision cannot be made (no active bundle, say), the request
   * is filed, left requested, and the error thrown, as `advance` would.
   */
  async submit(input: FileRequest): Promise<Executed> {
    const deps = this.advanceDeps();
    const filing = await prepareFiling({ ...deps, writer: this.writer, reads: this.reads }, input);
    if ('existing' in filing) {
      const run = filing.existing;
      return run.state === 'requested' ? this.advance(run.id) : { run, secrets: [] };
    }
    const run = filing.write.run;
    let planned: PlannedDecision;
    try {
      planned = await planDecision(deps, run);
    } catch (e) {
      await this.writer.write(filing.write);
      throw e;
    }
    if (planned.event === 'decided_auto')
      return executeRun(this.execDeps(deps), run, { decided: planned, filing: filing.write });
    const filed = await this.writer.write(filing.write);
    const { value } = await deps.ledger.transact((tx) => recordDecision(tx, filed, planned));
    return { run: value, secrets: [] };
  }

  /**
   * Moves a run as far as it can go now: decision, then (once approved) execution and verification.
   * An automatic decision commits with the start of execution; each entity of the inventory is read
   * once per call.
   */
  async advance(runId: string): Promise<Executed> {
    const deps = this.advanceDeps();
    const run = await this.get(runId);
    if (run.state === 'requested') {
      const planned = await planDecision(deps, run);
      if (planned.event === 'decided_auto') return executeRun(this.execDeps(deps), run, { decided: planned });
      const { value } = await deps.ledger.transact((tx) => recordDecision(tx, run, planned));
      return { run: value, secrets: [] };
    }
    if (run.state === 'approved') return executeRun(this.execDeps(deps), run);
    if (run.state === 'executing' || run.state === 'verifying') {
      // Mid-flight: continued only when no live process is executing it, and once won.
      const live = await liveInstances(deps.ledger.store.read, deps.now());
      if (run.claimedBy !== this.instance.id && !takeable(run, this.instance.id, live, true))
        throw new CustosError('RUN_TRANSITION_INVALID', `run ${runId} is being executed by ${run.claimedBy}`);
      const won = await claimRun(deps.ledger, run, await this.instance.claim());
      if (won === undefined) throw movedOn(runId);
      return executeRun(this.execDeps(deps), won, { takenFrom: run.claimedBy });
    }
    return { run, secrets: [] };
  }

  /** The engine's dependencies for one call: inventory entities read once, the bundle shared. */
  private advanceDeps(): RunEngineDeps & { readonly activeBundle: () => Promise<LoadedBundle | undefined> } {
    return {
      ...this.deps,
      inventory: readOnce(this.reads.inventory),
      activeBundle: () => this.reads.activeBundle(),
    };
  }

  /**
   * Call at process start: continues every run a crash left approved, executing, verifying or
   * rolling back, from its last record — except those a live process is executing (see
   * run-recover.ts).
   */
  recover(): Promise<Run[]> {
    return recoverRuns(this.execDeps());
  }

  /**
   * Call on every pass of a host loop: continues the runs of executor instances that stopped or
   * missed their heartbeat for longer than their lease (another process that died).
   */
  recoverOrphans(): Promise<Run[]> {
    return recoverRuns(this.execDeps(), { orphansOnly: true });
  }

  /** A clean shutdown of this process as an executor: peers may take over its runs at once. */
  stop(): Promise<void> {
    return this.instance.stop();
  }

  /** A named person retries a paused run (bounded) or re-checks an unreconciled one. */
  async resume(runId: string, by: string): Promise<Executed> {
    const actor = await actorOf(this.deps.inventory, by);
    const run = await this.get(runId);
    if (run.state === 'unreconciled') {
      await this.deps.ledger.transact((tx) =>
        transition(tx, run, 'resume', actor, {}, { reason: null }, this.deps.now()),
      );
      return this.advance(runId);
    }
    if (run.state !== 'paused')
      throw new CustosError('RUN_TRANSITION_INVALID', `run ${runId} is ${run.state}, not paused`);
    if (run.attempts + 1 > (this.deps.maxAttempts ?? 3)) {
      throw new CustosError(
        'RUN_TRANSITION_INVALID',
        `run ${runId} used its ${run.attempts} retries: roll back or abort it`,
      );
    }
    await this.deps.ledger.transact(async (tx) => {
      await tx.run('UPDATE runs SET attempts = ? WHERE id = ?', [run.attempts + 1, run.id]);
      await tx.append({
        type: 'run.retry_requested',
        correlationId: run.id,
        actor,
        subject: { kind: 'run', id: run.id },
        payload: { attempt: run.attempts + 1 },
      });
    });
    return executeRun(this.execDeps(), await this.get(runId));
  }

  /**
   * A named person rolls a paused run back: each applied step is restored from the prior state read
   * before it (a transaction where the target has one, else compensation), then verified.
   */
  async rollback(runId: string, by: string): Promise<Run> {
    const actor = await actorOf(this.deps.inventory, by);
    const run = await this.get(runId);
    const claimedBy = await this.instance.claim();
    const { value: rolling } = await this.deps.ledger.transact((tx) =>
      transition(tx, run, 'rollback', actor, {}, { claimedBy }, this.deps.now()),
    );
    return rollbackRun(this.execDeps(), rolling);
  }

  /** A named person abandons a run that has not completed; nothing more is applied. */
  async abort(runId: string, by: string, reason: string): Promise<Run> {
    const actor = await actorOf(this.deps.inventory, by);
    if (reason.trim() === '') throw new CustosError('INPUT_INVALID', 'aborting a run needs a reason');
    const run = await this.get(runId);
    const { value } = await this.deps.ledger.transact((tx) =>
      transition(tx, run, 'abort', actor, { reason }, { reason }, this.deps.now()),
    );
    return value;
  }

  /**
   * Fires the durable timers that are due (approval reminders, escalation and expiry; exception
   * reminders and expiry; break-glass revocation and review) and executes the runs they file.
   */
  async tick(): Promise<TickResult> {
    const result = await tick({ ...this.deps, reviewWithinSeconds: this.reviewWithin() });
    for (const id of result.runs) await this.advance(id);
    return result;
  }

  grants(filter: { readonly identity?: string; readonly state?: GrantState } = {}): Promise<Grant[]> {
    return listGrants(this.deps.ledger.store.read, filter);
  }

  grant(id: string): Promise<Grant> {
    return readGrant(this.deps.ledger.store.read, id);
  }

  /** The workflow's named reviewer records the mandatory post-hoc review of a break-glass grant. */
  async reviewBreakGlass(
    grantId: string,
    by: string,
    verdict: 'appropriate' | 'inappropriate',
    rationale: string,
  ): Promise<Grant> {
    const actor = await actorOf(this.deps.inventory, by);
    await this.deps.ledger.transact(async (tx) => {
      const grant = await readGrant(tx, grantId);
      const opener = await readRun(tx, grant.runId);
      await reviewGrant(tx, grant, opener, await this.grantContext(opener, grant.identityId), {
        by: actor,
        verdict,
        rationale,
      });
    });
    return this.grant(grantId);
  }

  /** In the transaction that records `verified`: what the run changed, and its grants. */
  protected async onVerified(tx: LedgerTx, run: Run, steps: readonly DoneStep[]): Promise<void> {
    const action = run.request.action;
    await scheduleCredentialTimers(tx, run, steps, this.deps.now());
    if (steps.length > 0) {
      await recordInventoryEffects(tx, run, steps, await workflowOfRun(this.deps.bundles, run), this.deps);
    }
    if (run.origin === null && action !== 'exception' && action !== 'break_glass') return;
    const identityId = requestedIdentities(run.request)[0] ?? '';
    await onRunVerified(tx, run, await this.grantContext(run, identityId));
  }

  private async grantContext(run: Run, identityId: string) {
    return {
      workflow: await workflowOfRun(this.deps.bundles, run),
      identity: await this.deps.inventory.getIdentity(identityId),
      now: this.deps.now(),
      reviewWithinSeconds: this.reviewWithin(),
    };
  }

  /** What execution needs: the step timeout, and grants opened or closed with each completion. */
  private execDeps(deps: RunEngineDeps = this.deps) {
    return {
      ...deps,
      runs: this.writer,
      instance: this.instance,
      stepTimeoutSeconds: this.deps.stepTimeoutSeconds ?? 300,
      workflowOwners: async (run: Run) => {
        const w = await workflowOfRun(this.deps.bundles, run);
        return [...new Set([...Object.values(w.owners), ...w.escalation])];
      },
      onVerified: async (tx: LedgerTx, run: Run, steps: readonly DoneStep[]) => {
        await this.onVerified(tx, run, steps);
        await this.deps.onVerified?.(tx, run, steps);
      },
    };
  }

  private reviewWithin(): number {
    return this.deps.reviewWithinSeconds ?? 86400;
  }
}
