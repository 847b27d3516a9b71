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
import type { Inventory, System } from '../inventory/index.js';
import type { LedgerTx } from '../ledger/ledger-writer.js';
import type { RecordDraft } from '../ledger/record.js';
import type { Sql } from '../store/sql.js';
import type { PlannedStep, Run, StepTarget } from './run-model.js';
import { requestedIdentities, type PlainRequest } from '../workflows/index.js';
import type { DoneStep } from './inventory-effects.js';
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
  const steps = await toSteps(
    inventory,
    runId,
    rows.map((r) => ({
      stepId: r.step_id,
      action: r.action as Step['action'],
      systemId: r.system_id,
      identityId: r.identity_id,
      params: JSON.parse(r.params) as Step['params'],
    })),
  );
  return rows.map((r, i) => ({
    step: steps[i]!,
    status: r.status as StepStatus,
    prior: r.prior === null ? null : (JSON.parse(r.prior) as PriorState),
    result: r.outputs === null ? null : (JSON.parse(r.outputs) as StepResult),
  }));
}

/** Each identity the request acts on, with its system (a create: the new identity's system). */
export async function targetsOf(inventory: Inventory, plain: PlainRequest): Promise<StepTarget[]> {
  if ('new' in plain.resource)
    return [{ identity: plain.resource.new.name, system: plain.resource.new.system }];
  return Promise.all(
    requestedIdentities(plain).map(async (id) => {
      const identity = await inventory.getIdentity(id);
      if (identity === undefined) throw new CustosError('NOT_FOUND', `no identity ${id}`);
      return { identity: id, system: identity.system };
    }),
  );
}

/** The steps a decision planned, as loadSteps will read them once the decision is recorded. */
export async function plannedSteps(
  inventory: Inventory,
  runId: string,
  planned: readonly PlannedStep[],
): Promise<StoredStep[]> {
  const ordered = [...planned].sort((a, b) => (a.stepId < b.stepId ? -1 : a.stepId > b.stepId ? 1 : 0));
  // Through JSON, as the stored row would give it back.
  const steps = await toSteps(
    inventory,
    runId,
    ordered.map((p) => ({ ...p, params: JSON.parse(JSON.stringify(p.params)) as Step['params'] })),
  );
  return steps.map((step) => ({ step, status: 'planned' as const, prior: null, result: null }));
}

/** The steps that recorded an effect (outputs), in step order, for what commits with `verified`. */
export function doneStepsOf(steps: readonly StoredStep[]): DoneStep[] {
  return steps
    .filter((s) => s.result !== null)
    .map((s) => ({
      stepId: s.step.stepId,
      action: s.step.action,
      systemId: s.step.system.id,
      identityId: s.step.identity.id,
      params: s.step.params,
      outputs: s.result!.outputs,
    }));
}

/**
 * Whether an effect issued a credential. The contract returns a fresh secret once, in `secret`,
 * and records carry its fingerprint in `outputs.fingerprint`; a repeat (`already_applied`) returns
 * the fingerprint without the secret.
 */
export function issuesSecret(result: ApplyResult): boolean {
  return result.secret !== undefined || typeof result.outputs['fingerprint'] === 'string';
}

/**
 * One journal move of a step (pure): its row goes `from` -> `to`, setting the prior state or the
 * result it carries, with its record.
 */
export interface StepMove {
  readonly stepId: string;
  readonly from: StepStatus;
  readonly to: StepStatus;
  /** JSON of the prior state (started) or of the result (applied); the other column is kept. */
  readonly prior: string | null;
  readonly outputs: string | null;
  readonly record: RecordDraft;
}

/** planned -> applying, with the prior state read before the effect (kept to roll back). */
export function startedMove(run: Run, step: Step, prior: PriorState, authority: string): StepMove {
  return {
    stepId: step.stepId,
    from: 'planned',
    to: 'applying',
    prior: JSON.stringify(prior),
    outputs: null,
    record: stepRecord(run, step, 'run.step_started', {
      action: step.action,
      system: step.system.id,
      identity: step.identity.id,
      authority,
      prior: { ...prior },
    }),
  };
}

/** applying -> applied; `recovered` when an earlier attempt left the outcome unknown. */
export function appliedMove(run: Run, step: Step, result: StepResult, recovered: boolean): StepMove {
  return {
    stepId: step.stepId,
    from: 'applying',
    to: 'applied',
    prior: null,
    outputs: JSON.stringify(result),
    record: stepRecord(run, step, 'run.step_applied', {
      outcome: result.outcome,
      outputs: { ...result.outputs },
      artifact: result.artifact === null ? null : { ...result.artifact },
      ...(recovered ? { recovered: true } : {}),
    }),
  };
}

export function journalStarted(
  tx: LedgerTx,
  run: Run,
  step: Step,
  prior: PriorState,
  authority: string,
): Promise<void> {
  return journal(tx, run.id, startedMove(run, step, prior, authority));
}

export function journalApplied(
  tx: LedgerTx,
  run: Run,
  step: Step,
  result: StepResult,
  recovered: boolean,
): Promise<void> {
  return journal(tx, run.id, appliedMove(run, step, result, recovered));
}

/** Writes one move, only from the status the caller read, and appends its record. */
async function journal(tx: LedgerTx, runId: string, m: StepMove): Promise<void> {
  const changed =
    m.prior === null
      ? await tx.run(
          'UPDATE run_steps SET status = ?, outputs = ? WHERE run_id = ? AND step_id = ? AND status = ?',
          [m.to, m.outputs, runId, m.stepId, m.from],
        )
      : await tx.run(
          'UPDATE run_steps SET status = ?, prior = ? WHERE run_id = ? AND step_id = ? AND status = ?',
          [m.to, m.prior, runId, m.stepId, m.from],
        );
  if (changed !== 1) throw stepMovedOn(runId, m.stepId);
  await tx.append(m.record);
}

export function stepMovedOn(runId: string, stepId: string): CustosError {
  return new CustosError('RUN_TRANSITION_INVALID', `step ${stepId} of run ${runId} moved on concurrently`, {
    retryable: true,
  });
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

function stepRecord(run: Run, step: Step, type: string, payload: Record<string, JsonValue>): RecordDraft {
  return {
    type,
    correlationId: run.id,
    actor: executorOf(run),
    subject: { kind: 'identity', id: step.identity.id },
    ...(run.bundleHash === null ? {} : { bundleHash: run.bundleHash }),
    payload: { stepId: step.stepId, ...payload },
  };
}

/**
 * The steps with their systems and identities. Every step's system and identity is asked for at
 * once: through the engine's reads (shared-reads.ts) the entities asked for in one turn are read
 * with one query per kind, for all the steps and every other run asking at the same moment.
 */
async function toSteps(
  inventory: Inventory,
  runId: string,
  planned: readonly PlannedStep[],
): Promise<Step[]> {
  const found = await Promise.all(
    planned.map((p) => Promise.all([inventory.getSystem(p.systemId), inventory.getIdentity(p.identityId)])),
  );
  return planned.map((p, i) => {
    const [system, identity] = found[i]!;
    if (system === undefined) throw new CustosError('SYSTEM_UNKNOWN', `no system ${p.systemId}`);
    const target = targetOf(system);
    return {
      runId,
      stepId: p.stepId,
      action: p.action,
      system: target,
      identity: {
        id: p.identityId,
        kind: identity?.kind ?? 'token',
        externalId: identity?.externalId ?? p.identityId,
      },
      params: p.params,
    };
  });
}

/** What a connector is told of an inventory system (no owner, no reconciliation state). */
export function targetOf(system: System): TargetSystem {
  return {
    id: system.id,
    type: system.type,
    environment: system.environment,
    connection: system.connection,
  };
}
