/** Reading and writing run rows; every state change goes through `transition` (one record each). */
import { CustosError } from '../core/errors.js';
import type { JsonValue } from '../core/canonical-json.js';
import type { LedgerTx } from '../ledger/ledger-writer.js';
import type { Actor, RecordDraft } from '../ledger/record.js';
import type { Sql, SqlParam } from '../store/sql.js';
import type { Run } from './run-model.js';
import { nextState, type RunEvent, type RunState } from './state-machine.js';

interface RunRow {
  id: string;
  requester: string;
  idempotency_key: string;
  request: string;
  input_hash: string;
  justification: string;
  state: RunState;
  reason: string | null;
  workflow: string | null;
  bundle_hash: string | null;
  decision: string | null;
  digest: string | null;
  executor: string | null;
  attempts: number;
  origin: string | null;
  claimed_by?: string | null;
}

export const RUN_COLUMNS =
  'id, requester, idempotency_key, request, input_hash, justification, state, reason, workflow, bundle_hash, decision, digest, executor, attempts, origin, claimed_by';

export function toRun(row: RunRow): Run {
  return {
    id: row.id,
    requester: row.requester,
    idempotencyKey: row.idempotency_key,
    request: JSON.parse(row.request) as Run['request'],
    inputHash: row.input_hash,
    justification: row.justification,
    state: row.state,
    reason: row.reason,
    workflow: row.workflow,
    bundleHash: row.bundle_hash,
    decision: row.decision === null ? null : (JSON.parse(row.decision) as Run['decision']),
    digest: row.digest,
    executor: row.executor,
    attempts: row.attempts,
    origin: row.origin === null ? null : (JSON.parse(row.origin) as Run['origin']),
    claimedBy: row.claimed_by ?? null,
  };
}

export async function readRun(sql: Sql, id: string): Promise<Run> {
  const rows = await sql.query<RunRow & Record<string, unknown>>(
    `SELECT ${RUN_COLUMNS} FROM runs WHERE id = ?`,
    [id],
  );
  if (rows[0] === undefined) throw new CustosError('RUN_NOT_FOUND', `no run ${id}`);
  return toRun(rows[0]);
}

export interface TransitionUpdate {
  readonly reason?: string | null;
  readonly workflow?: string;
  readonly bundleHash?: string;
  readonly decision?: JsonValue;
  readonly digest?: string;
  readonly executor?: string;
  readonly attempts?: number;
  /** The executor instance taking the run into execution (run-claims.ts). */
  readonly claimedBy?: string;
}

/** The run as `transition` leaves it (pure): what the row holds once the update is written. */
export function afterTransition(run: Run, to: RunState, update: TransitionUpdate): Run {
  return {
    ...run,
    state: to,
    reason: update.reason === undefined ? run.reason : update.reason,
    workflow: update.workflow ?? run.workflow,
    bundleHash: update.bundleHash ?? run.bundleHash,
    decision: update.decision === undefined ? run.decision : (update.decision as unknown as Run['decision']),
    digest: update.digest ?? run.digest,
    executor: update.executor ?? run.executor,
    attempts: update.attempts ?? run.attempts,
    claimedBy: update.claimedBy ?? run.claimedBy,
  };
}

/** A transition planned on a run (pure): the run as it leaves it, and its record. */
export interface PlannedTransition {
  readonly next: Run;
  readonly record: RecordDraft;
}

/** Plans `event` on `run` (RUN_TRANSITION_INVALID when the state machine does not allow it). */
export function transitionOf(
  run: Run,
  event: RunEvent,
  actor: Actor,
  payload: Record<string, JsonValue>,
  update: TransitionUpdate = {},
): PlannedTransition {
  const next = afterTransition(run, nextState(run.state, event), update);
  return { next, record: transitionRecord(run, next, event, actor, payload) };
}

/** The columns `transition` writes, in RUN_UPDATE_COLUMNS order. */
export function runRowValues(run: Run, now: Date): SqlParam[] {
  return [
    run.state,
    run.reason,
    run.workflow,
    run.bundleHash,
    run.decision === null ? null : JSON.stringify(run.decision),
    run.digest,
    run.executor,
    run.attempts,
    run.claimedBy,
    now.toISOString(),
  ];
}

export const RUN_UPDATE_COLUMNS = [
  'state',
  'reason',
  'workflow',
  'bundle_hash',
  'decision',
  'digest',
  'executor',
  'attempts',
  'claimed_by',
  'updated_at',
] as const;

/**
 * Moves a run along the state machine inside the caller's transaction: the row is updated only if
 * it is still in the state the caller read (so two workers never both advance it), and the
 * transition's ledger record is appended in the same transaction. Returns the run as it now is,
 * so that nobody reads the row back.
 */
export async function transition(
  tx: LedgerTx,
  run: Run,
  event: RunEvent,
  actor: Actor,
  payload: Record<string, JsonValue>,
  update: TransitionUpdate = {},
  now: Date,
): Promise<Run> {
  const { next, record } = transitionOf(run, event, actor, payload, update);
  const changed = await tx.run(
    `UPDATE runs SET ${RUN_UPDATE_COLUMNS.map((c) => `${c} = ?`).join(', ')} WHERE id = ? AND state = ?`,
    [...runRowValues(next, now), run.id, run.state],
  );
  if (changed !== 1) throw movedOn(run.id);
  await tx.append(record);
  return next;
}

/** Another writer moved the run on since it was read. */
export function movedOn(runId: string): CustosError {
  return new CustosError('RUN_TRANSITION_INVALID', `run ${runId} moved on concurrently`, {
    retryable: true,
  });
}

/** The record of one transition (its payload says from where to where). */
export function transitionRecord(
  run: Run,
  next: Run,
  event: RunEvent,
  actor: Actor,
  payload: Record<string, JsonValue>,
): RecordDraft {
  return {
    type: `run.${event}`,
    correlationId: run.id,
    actor,
    subject: { kind: 'run', id: run.id },
    ...(next.bundleHash ? { bundleHash: next.bundleHash } : {}),
    payload: { from: run.state, to: next.state, ...payload },
  };
}
