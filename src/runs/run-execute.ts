/**
 * Execution and verification of an approved run, with a delegated authority minted for this run
 * alone. Each step is journalled before it is applied (so after a crash its outcome is known to be
 * uncertain) and applied idempotently per (run, step), so a restart never applies an effect twice.
 * A connector error, a partial failure or a failed verification pauses the run — never success.
 */
import type { JsonValue } from '../core/canonical-json.js';
import { CustosError } from '../core/errors.js';
import type { AuthorityIssuer } from '../authority/index.js';
import type { Connector, IssuedSecret, Step, TargetSystem } from '../connectors/contract.js';
import type { Inventory } from '../inventory/index.js';
import type { Ledger } from '../ledger/ledger.js';
import type { Run } from './run-model.js';
import { readRun, transition } from './run-store.js';
import { SYSTEM } from './run-engine.js';

export interface ExecuteDeps {
  readonly ledger: Ledger;
  readonly inventory: Inventory;
  readonly connectors: ReadonlyMap<string, Connector>;
  readonly authority: AuthorityIssuer;
  readonly now: () => Date;
  readonly stepTimeoutSeconds: number;
}

interface StepRow {
  step_id: string;
  action: string;
  system_id: string;
  identity_id: string;
  params: string;
  status: string;
}

export interface Executed {
  readonly run: Run;
  /** Secrets issued by this call's steps: for the requester, once; never recorded. */
  readonly secrets: readonly IssuedSecret[];
}

export async function executeRun(deps: ExecuteDeps, run: Run): Promise<Executed> {
  const read = deps.ledger.store.read;
  const executor = { kind: 'non_human' as const, id: run.executor ?? 'executor:unknown' };
  const rows = await read.query<StepRow & Record<string, unknown>>(
    'SELECT step_id, action, system_id, identity_id, params, status FROM run_steps WHERE run_id = ? ORDER BY step_id',
    [run.id],
  );
  const steps = await Promise.all(rows.map((r) => toStep(deps.inventory, run.id, r)));
  const { token, claims } = await mintFor(deps, run, steps);
  if (run.state === 'approved' || run.state === 'paused') {
    const event = run.state === 'approved' ? 'execution_started' : 'resume';
    await deps.ledger.transact((tx) =>
      transition(
        tx,
        run,
        event,
        executor,
        { authority: { jti: claims.jti, exp: claims.exp, grants: claims.grants as unknown as JsonValue } },
        {},
        deps.now(),
      ),
    );
    run = await readRun(read, run.id);
  }
  const secrets: IssuedSecret[] = [];
  let failure: { reason: string; retryable: boolean; step: string } | undefined;
  if (run.state === 'executing') {
    for (const step of steps) {
      const connector = deps.connectors.get(step.system.type);
      try {
        if (connector === undefined)
          throw new CustosError('CONNECTOR_REFUSED', `no connector for ${step.system.type}`);
        await journal(deps, run, step, 'applying', 'run.step_started', {
          action: step.action,
          system: step.system.id,
          identity: step.identity.id,
        });
        const prior = await connector.readPrior(step, token);
        const result = await connector.apply(step, token);
        if (result.secret !== undefined) secrets.push(result.secret);
        await journal(
          deps,
          run,
          step,
          'applied',
          'run.step_applied',
          {
            outcome: result.outcome,
            outputs: result.outputs,
            artifact: result.artifact ?? null,
            prior: prior,
          },
          prior,
        );
      } catch (e) {
        failure = failureOf(e, step.stepId);
        break;
      }
    }
    const event = failure === undefined ? 'applied' : 'failed';
    await deps.ledger.transact((tx) =>
      transition(
        tx,
        run,
        event,
        executor,
        failure === undefined ? {} : { ...failure },
        { reason: failure?.reason ?? null },
        deps.now(),
      ),
    );
    run = await readRun(read, run.id);
  }
  if (run.state === 'verifying') {
    const checks: JsonValue[] = [];
    for (const step of steps) {
      const connector = deps.connectors.get(step.system.type)!;
      const secret = secrets[0]?.value;
      try {
        const result = await connector.verify(step, token, secret);
        checks.push({ step: step.stepId, ok: result.ok, checks: result.checks as unknown as JsonValue });
        if (!result.ok)
          failure = {
            reason: `verification failed on ${step.system.id}`,
            retryable: false,
            step: step.stepId,
          };
      } catch (e) {
        failure = failureOf(e, step.stepId);
      }
    }
    const event = failure === undefined ? 'verified' : 'failed';
    await deps.ledger.transact((tx) =>
      transition(
        tx,
        run,
        event,
        executor,
        { checks, ...(failure === undefined ? {} : failure) },
        { reason: failure?.reason ?? null },
        deps.now(),
      ),
    );
    run = await readRun(read, run.id);
  }
  if (run.state === 'paused') await alertOwners(deps, run);
  return { run, secrets };
}

async function journal(
  deps: ExecuteDeps,
  run: Run,
  step: Step,
  status: string,
  type: string,
  payload: Record<string, JsonValue>,
  prior?: Readonly<Record<string, JsonValue>>,
): Promise<void> {
  await deps.ledger.transact(async (tx) => {
    await tx.run(
      prior === undefined
        ? 'UPDATE run_steps SET status = ? WHERE run_id = ? AND step_id = ?'
        : 'UPDATE run_steps SET status = ?, prior = ? WHERE run_id = ? AND step_id = ?',
      prior === undefined
        ? [status, run.id, step.stepId]
        : [status, JSON.stringify(prior), run.id, step.stepId],
    );
    await tx.append({
      type,
      correlationId: run.id,
      actor: { kind: 'non_human', id: run.executor ?? 'executor:unknown' },
      subject: { kind: 'identity', id: step.identity.id },
      ...(run.bundleHash === null ? {} : { bundleHash: run.bundleHash }),
      payload: { stepId: step.stepId, ...payload },
    });
  });
}

async function toStep(inventory: Inventory, runId: string, row: StepRow): Promise<Step> {
  const system = await inventory.getSystem(row.system_id);
  if (system === undefined) throw new CustosError('SYSTEM_UNKNOWN', `no system ${row.system_id}`);
  const identity = await inventory.getIdentity(row.identity_id);
  const target: TargetSystem = {
    id: system.id,
    type: system.type,
    environment: system.environment,
    connection: system.connection,
  };
  return {
    runId,
    stepId: row.step_id,
    action: row.action as Step['action'],
    system: target,
    identity: {
      id: row.identity_id,
      kind: identity?.kind ?? 'token',
      externalId: identity?.externalId ?? row.identity_id,
    },
    params: JSON.parse(row.params) as Step['params'],
  };
}

/** A paused run alerts its owners: an alert record naming who must act. */
async function alertOwners(deps: ExecuteDeps, run: Run): Promise<void> {
  await deps.ledger.append({
    type: 'run.alert',
    correlationId: run.id,
    actor: SYSTEM,
    subject: { kind: 'run', id: run.id },
    payload: {
      state: run.state,
      reason: run.reason ?? null,
      notify: [run.requester, run.workflow ?? 'unknown'],
    },
  });
}

/** rolling_back -> rolled_back (prior state restored and verified) or back to paused. */
export async function rollbackRun(deps: ExecuteDeps, run: Run): Promise<Run> {
  const read = deps.ledger.store.read;
  const executor = { kind: 'non_human' as const, id: run.executor ?? 'executor:unknown' };
  const rows = await read.query<StepRow & { prior: string | null } & Record<string, unknown>>(
    "SELECT step_id, action, system_id, identity_id, params, status, prior FROM run_steps WHERE run_id = ? AND status = 'applied' ORDER BY step_id DESC",
    [run.id],
  );
  const steps = await Promise.all(
    rows.map(async (r) => ({ step: await toStep(deps.inventory, run.id, r), prior: r.prior })),
  );
  const { token } = await mintFor(
    deps,
    run,
    steps.map(({ step }) => step),
  );
  let failure: string | undefined;
  const restored: JsonValue[] = [];
  for (const { step, prior } of steps) {
    try {
      const connector = deps.connectors.get(step.system.type);
      if (connector === undefined || prior === null)
        throw new CustosError('CONNECTOR_REFUSED', `cannot roll back ${step.stepId}`);
      await connector.rollback(step, token, JSON.parse(prior) as Readonly<Record<string, JsonValue>>);
      const check = await connector.verify(step, token);
      restored.push({ step: step.stepId, verified: check.ok });
      if (!check.ok) failure = `the prior state of ${step.stepId} did not verify after rollback`;
    } catch (e) {
      failure = e instanceof Error ? e.message : String(e);
    }
    if (failure !== undefined) break;
  }
  await deps.ledger.transact((tx) =>
    transition(
      tx,
      run,
      failure === undefined ? 'rolled_back' : 'failed',
      executor,
      { restored, ...(failure === undefined ? {} : { reason: failure }) },
      { reason: failure ?? null },
      deps.now(),
    ),
  );
  const after = await readRun(read, run.id);
  if (after.state === 'paused') await alertOwners(deps, after);
  return after;
}

/** The delegated authority for exactly these steps of this run, expiring with the step timeout. */
function mintFor(deps: ExecuteDeps, run: Run, steps: readonly Step[]) {
  return deps.authority.mintWithClaims({
    runId: run.id,
    requestDigest: run.digest!,
    executor: run.executor ?? 'executor:unknown',
    grants: steps.map((s) => ({ action: s.action, system: s.system.id, identity: s.identity.id })),
    ttlSeconds: deps.stepTimeoutSeconds,
  });
}

function failureOf(e: unknown, step: string): { reason: string; retryable: boolean; step: string } {
  return {
    reason: e instanceof Error ? e.message : String(e),
    retryable: e instanceof CustosError && e.retryable,
    step,
  };
}
