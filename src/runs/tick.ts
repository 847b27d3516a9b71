/**
 * Fires due durable timers, each in its own transaction that claims it (so it fires once, even
 * with several engines) and records its effect. A timer whose effect fails with a non-retryable
 * error is marked failed with a record and an alert — never retried forever, never forgotten.
 * Returns the runs the timers filed (break-glass revocations, exception remediations): the caller
 * executes them after the commit, and `recover()` finds them if the process stops first.
 */
import { CustosError } from '../core/errors.js';
import type { Inventory } from '../inventory/index.js';
import type { Ledger } from '../ledger/ledger.js';
import type { Workflow } from '../policy/workflow-schema.js';
import { raiseAlert } from '../alerts/index.js';
import type { BundleRegistry } from '../workflows/index.js';
import { fireApprovalTimer } from './approval-timers.js';
import { fireGrantTimer } from './grants.js';
import { fireCredentialTimer } from './credential-timers.js';
import { notifyList } from './notify.js';
import { readGrant } from './grant-store.js';
import type { Run } from './run-model.js';
import { readRun } from './run-store.js';
import { claimTimer, dueTimers, payloadText, type Timer } from './timers.js';

export interface TickDeps {
  readonly ledger: Ledger;
  readonly inventory: Inventory;
  readonly bundles: BundleRegistry;
  readonly now: () => Date;
  readonly reviewWithinSeconds: number;
}

export interface TickResult {
  readonly fired: number;
  readonly failed: number;
  /** Runs filed by timers, to execute now. */
  readonly runs: readonly string[];
}

export async function workflowOfRun(bundles: BundleRegistry, run: Run): Promise<Workflow> {
  if (run.bundleHash === null || run.workflow === null)
    throw new CustosError('WORKFLOW_INVALID', `run ${run.id} has no workflow`);
  const workflow = (await bundles.load(run.bundleHash)).workflows.get(run.workflow);
  if (workflow === undefined)
    throw new CustosError('WORKFLOW_INVALID', `bundle ${run.bundleHash} has no workflow ${run.workflow}`);
  return workflow;
}

async function fire(deps: TickDeps, timer: Timer, now: Date): Promise<string[] | undefined> {
  const { value } = await deps.ledger.transact(async (tx) => {
    if (!(await claimTimer(tx, timer.id, now))) return undefined;
    if (timer.kind.startsWith('approval.')) {
      const run = await readRun(tx, timer.subject);
      await fireApprovalTimer(tx, timer, run, await workflowOfRun(deps.bundles, run), now);
      return [];
    }
    if (timer.kind === 'credential.expiring') {
      const run = await readRun(tx, payloadText(timer, 'run'));
      const workflow = await workflowOfRun(deps.bundles, run).catch(() => undefined);
      await fireCredentialTimer(
        tx,
        timer,
        run,
        workflow,
        await deps.inventory.getIdentity(timer.subject),
        now,
      );
      return [];
    }
    const grant = await readGrant(tx, timer.subject);
    const opener = await readRun(tx, grant.runId);
    return fireGrantTimer(tx, timer, grant, opener, {
      workflow: await workflowOfRun(deps.bundles, opener),
      identity: await deps.inventory.getIdentity(grant.identityId),
      now,
      reviewWithinSeconds: deps.reviewWithinSeconds,
    });
  });
  return value;
}

export async function tick(deps: TickDeps): Promise<TickResult> {
  const now = deps.now();
  const runs: string[] = [];
  let fired = 0;
  let failed = 0;
  for (const timer of await dueTimers(deps.ledger.store.read, now)) {
    try {
      const filed = await fire(deps, timer, now);
      if (filed === undefined) continue;
      fired += 1;
      runs.push(...filed);
    } catch (e) {
      if (e instanceof CustosError && e.retryable) continue;
      failed += 1;
      await markFailed(deps, timer, e, now);
    }
  }
  return { fired, failed, runs };
}

/** Who hears of a failed timer: the workflow's owners where known, else the requester. */
async function notifyOf(deps: TickDeps, timer: Timer): Promise<(string | undefined)[]> {
  try {
    const runId = timer.kind.startsWith('approval.')
      ? timer.subject
      : timer.kind === 'credential.expiring'
        ? payloadText(timer, 'run')
        : (await readGrant(deps.ledger.store.read, timer.subject)).runId;
    const run = await readRun(deps.ledger.store.read, runId);
    try {
      const w = await workflowOfRun(deps.bundles, run);
      return [w.owners.platform, w.owners.control, ...w.escalation];
    } catch {
      return [run.requester];
    }
  } catch {
    return [];
  }
}

async function markFailed(deps: TickDeps, timer: Timer, e: unknown, now: Date): Promise<void> {
  const notify = await notifyOf(deps, timer);
  const reason = e instanceof CustosError ? `${e.code}: ${e.message}` : 'internal error';
  await deps.ledger.transact(async (tx) => {
    const changed = await tx.run(
      `UPDATE timers SET state = 'failed', fired_at = ? WHERE id = ? AND state = 'pending'`,
      [now.toISOString(), timer.id],
    );
    if (changed !== 1) return;
    await raiseAlert(
      tx,
      {
        subject: {
          kind: timer.kind.startsWith('approval.')
            ? 'run'
            : timer.kind.startsWith('credential.')
              ? 'identity'
              : 'grant',
          id: timer.subject,
        },
        correlationId: timer.subject,
        kind: 'timer.failed',
        severity: 'critical',
        notify: notifyList(notify),
        summary: `timer ${timer.kind} of ${timer.subject} failed: ${reason}`,
        details: { timer: timer.id, kind: timer.kind, dueAt: timer.dueAt, reason },
      },
      now,
    );
  });
}
