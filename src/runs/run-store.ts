/** Reading and writing run rows; every state change goes through `transition` (one record each). */
import { CustosError } from '../core/errors.js';
import type { JsonValue } from '../core/canonical-json.js';
import type { LedgerTx } from '../ledger/ledger-writer.js';
import type { Actor } from '../ledger/record.js';
import type { Sql } from '../store/sql.js';
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
}

export const RUN_COLUMNS =
  'id, requester, idempotency_key, request, input_hash, justification, state, reason, workflow, bundle_hash, decision, digest, executor, attempts, origin';

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
}

/**
 * Moves a run along the state machine inside the caller's transaction: the row is updated only if
 * it is still in the state the caller read (so two workers never both advance it), and the
 * transition's ledger record is appended in the same transaction.
 */
export async function transition(
  tx: LedgerTx,
  run: Run,
  event: RunEvent,
  actor: Actor,
  payload: Record<string, JsonValue>,
  update: TransitionUpdate = {},
  now: Date,
): Promise<RunState> {
  const to = nextState(run.state, event);
  const changed = await tx.run(
    `UPDATE runs SET state = ?, reason = ?, workflow = ?, bundle_hash = ?, decision = ?, digest = ?, executor = ?,
       attempts = ?, updated_at = ? WHERE id = ? AND state = ?`,
    [
      to,
      update.reason === undefined ? run.reason : update.reason,
      update.workflow ?? run.workflow,
      update.bundleHash ?? run.bundleHash,
      update.decision === undefined
        ? run.decision === null
          ? null
          : JSON.stringify(run.decision)
        : JSON.stringify(update.decision),
      update.digest ?? run.digest,
      update.executor ?? run.executor,
      update.attempts ?? run.attempts,
      now.toISOString(),
      run.id,
      run.state,
    ],
  );
  if (changed !== 1) {
    throw new CustosError('RUN_TRANSITION_INVALID', `run ${run.id} moved on concurrently`, {
      retryable: true,
    });
  }
  await tx.append({
    type: `run.${event}`,
    correlationId: run.id,
    actor,
    subject: { kind: 'run', id: run.id },
    ...((update.bundleHash ?? run.bundleHash) ? { bundleHash: (update.bundleHash ?? run.bundleHash)! } : {}),
    payload: { from: run.state, to, ...payload },
  });
  return to;
}
