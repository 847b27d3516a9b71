/**
 * A run's steps as stored, and their journal. A step moves planned -> applying (journalled with
 * the prior state read from the target, before the effect) -> applied (journalled with the
 * effect's result), each move one `run_steps` update and one ledger record in one transaction, and
 * only from the status the caller read — so two workers never both record the same step, and
 * every step has at most one `run.step_applied`. After a crash, `applying` means "outcome
 * unknown": the effect may or may not have reached the target.
 *
 * `undelivered` is an applied step whose credential never reached anyone (the attempt that issued
 * it was interrupted): it stays applied on the target and the run stays paused until rolled back
 * or aborted. `rolled_back` is a step whose prior state was restored.
 */
import type { JsonValue } from '../core/canonical-json.js';
import { CustosError } from '../core/errors.js';
import type { ApplyResult, PriorState, Step, TargetSystem } from '../connectors/contract.js';
import type { Inventory } from '../inventory/index.js';
import type { LedgerTx } from '../ledger/ledger-writer.js';
import type { Sql } from '../store/sql.js';
import type { Run } from './run-model.js';
import { executorOf } from './execute-context.js';

export type StepStatus = 'planned' | 'applying' | 'applied' | 'undelivered' | 'rolled_back';

/** What `run_steps.outputs` keeps of an applied step (no secrets: fingerprints only). */
export interface StepResult {
  readonly outcome: ApplyResult['outcome'];
  readonly outputs: Readonly<Record<string, JsonValue>>;
  readonly artifact: { readonly hash: string; readonly version: string } | null;
  /** The run's attempt (resume count) that recorded the effect. */
  readonly attempt: number;
  /** Whether the effect issued a credential (its secret is held in memory only, once). */
  readonly issuedSecret: boolean;
}

export interface StoredStep {
  readonly step: Step;
  readonly status: StepStatus;
  readonly prior: PriorState | null;
  readonly result: StepResult | null;
}

interface StepRow {
  step_id: string;
  action: string;
  system_id: string;
  identity_id: string;
  params: string;
  status: string;
  prior: string | null;
  outputs: string | null;
}

export async function loadSteps(sql: Sql, inventory: Inventory, runId: string): Promise<StoredStep[]> {
  const rows = await sql.query<StepRow & Record<string, unknown>>(
    'SELECT step_id, action, system_id, identity_id, params, status, prior, outputs FROM run_steps WHERE run_id = ? ORDER BY step_id',
    [runId],
  );
  return Promise.all(
    rows.map(async (r) => ({
      step: await toStep(inventory, runId, r),
      status: r.status as StepStatus,
      prior: r.prior === null ? null : (JSON.parse(r.prior) as PriorState),
      result: r.outputs === null ? null : (JSON.parse(r.outputs) as StepResult),
    })),
  );
}

/**
 * Whether an effect issued a credential. The contract returns a fresh secret once, in `secret`,
 * and records carry its fingerprint in `outputs.fingerprint`; a repeat (`already_applied`) returns
 * the fingerprint without the secret.
 */
export function issuesSecret(result: ApplyResult): boolean {
  return result.secret !== undefined || typeof result.outputs['fingerprint'] === 'string';
}

/** planned -> applying, with the prior state read before the effect (kept to roll back). */
export async function journalStarted(
  tx: LedgerTx,
  run: Run,
  step: Step,
  prior: PriorState,
  authority: string,
): Promise<void> {
  await move(tx, run, step, 'planned', 'applying', prior, null);
  await tx.append(
    stepRecord(run, step, 'run.step_started', {
      action: step.action,
      system: step.system.id,
      identity: step.identity.id,
      authority,
      prior: { ...prior },
    }),
  );
}

/** applying -> applied; `recovered` when an earlier attempt left the outcome unknown. */
export async function journalApplied(
  tx: LedgerTx,
  run: Run,
  step: Step,
  result: StepResult,
  recovered: boolean,
): Promise<void> {
  await move(tx, run, step, 'applying', 'applied', undefined, result);
  await tx.append(
    stepRecord(run, step, 'run.step_applied', {
      outcome: result.outcome,
      outputs: { ...result.outputs },
      artifact: result.artifact === null ? null : { ...result.artifact },
      ...(recovered ? { recovered: true } : {}),
    }),
  );
}

/** Moves steps in the caller's transaction (the one recording the run's own transition). */
export async function setStatus(
  tx: LedgerTx,
  runId: string,
  stepIds: readonly string[],
  from: readonly StepStatus[],
  to: StepStatus,
): Promise<void> {
  for (const id of stepIds) {
    await tx.run(
      `UPDATE run_steps SET status = ? WHERE run_id = ? AND step_id = ? AND status IN (${from.map(() => '?').join(', ')})`,
      [to, runId, id, ...from],
    );
  }
}

async function move(
  tx: LedgerTx,
  run: Run,
  step: Step,
  from: StepStatus,
  to: StepStatus,
  prior: PriorState | undefined,
  result: StepResult | null,
): Promise<void> {
  const changed =
    prior === undefined
      ? await tx.run(
          'UPDATE run_steps SET status = ?, outputs = ? WHERE run_id = ? AND step_id = ? AND status = ?',
          [to, result === null ? null : JSON.stringify(result), run.id, step.stepId, from],
        )
      : await tx.run(
          'UPDATE run_steps SET status = ?, prior = ? WHERE run_id = ? AND step_id = ? AND status = ?',
          [to, JSON.stringify(prior), run.id, step.stepId, from],
        );
  if (changed !== 1) {
    throw new CustosError(
      'RUN_TRANSITION_INVALID',
      `step ${step.stepId} of run ${run.id} moved on concurrently`,
      {
        retryable: true,
      },
    );
  }
}

function stepRecord(run: Run, step: Step, type: string, payload: Record<string, JsonValue>) {
  return {
    type,
    correlationId: run.id,
    actor: executorOf(run),
    subject: { kind: 'identity', id: step.identity.id },
    ...(run.bundleHash === null ? {} : { bundleHash: run.bundleHash }),
    payload: { stepId: step.stepId, ...payload },
  };
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
