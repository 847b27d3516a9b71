/**
 * Multi-row writes of the `runs` and `run_steps` tables for merged run writes (run-writes.ts): one
 * statement per table for many runs instead of one per run and move. The same SQL serves SQLite
 * (3.35+: UPDATE ... FROM, RETURNING) and PostgreSQL. A statement carries up to 64 rows; the
 * texts are not prepared by name on PostgreSQL (only SELECTs are), so their number costs nothing
 * there, and SQLite keeps at most 64 per kind.
 *
 * Updates are conditional like their single-row forms (`WHERE state = <the state read>`): the rows
 * returned say which runs or steps moved; the others moved on concurrently and are left alone.
 */
import { chunks, insertRows, tuples } from '../store/multi-row.js';
import type { Sql, SqlParam } from '../store/sql.js';
import { RUN_UPDATE_COLUMNS } from './run-store.js';
import type { StepStatus } from './run-steps.js';

/** A filed run's row: what filing sets, then the columns transitions write (RUN_UPDATE_COLUMNS). */
export const RUN_INSERT_COLUMNS = [
  'id',
  'requester',
  'idempotency_key',
  'request',
  'input_hash',
  'justification',
  'created_at',
  ...RUN_UPDATE_COLUMNS,
] as const;

export const STEP_INSERT_COLUMNS = [
  'run_id',
  'step_id',
  'action',
  'system_id',
  'identity_id',
  'params',
  'status',
] as const;

/** Rows in RUN_INSERT_COLUMNS order. */
export function insertRunRows(sql: Sql, rows: readonly (readonly SqlParam[])[]): Promise<void> {
  return insertRows(sql, 'runs', RUN_INSERT_COLUMNS, rows);
}

/** Rows in STEP_INSERT_COLUMNS order. */
export function insertStepRows(sql: Sql, rows: readonly (readonly SqlParam[])[]): Promise<void> {
  return insertRows(sql, 'run_steps', STEP_INSERT_COLUMNS, rows);
}

export interface RunRowUpdate {
  readonly id: string;
  /** The state the writer read: the row moves only if it is still in it. */
  readonly from: string;
  /** In RUN_UPDATE_COLUMNS order. */
  readonly values: readonly SqlParam[];
}

/** Updates runs still in their `from` state; returns the ids of those that moved. */
export async function updateRunRows(sql: Sql, rows: readonly RunRowUpdate[]): Promise<Set<string>> {
  const moved = new Set<string>();
  const columns = ['id', 'from_state', ...RUN_UPDATE_COLUMNS];
  const set = RUN_UPDATE_COLUMNS.map((c) =>
    c === 'attempts' ? `${c} = CAST(v.${c} AS INTEGER)` : `${c} = v.${c}`,
  ).join(', ');
  const found = await Promise.all(
    chunks(rows).map((chunk) =>
      sql.query<{ id: string }>(
        `WITH v(${columns.join(', ')}) AS (VALUES ${tuples(chunk.length, columns.length)})
       UPDATE runs SET ${set} FROM v WHERE runs.id = v.id AND runs.state = v.from_state RETURNING runs.id`,
        chunk.flatMap((r) => [r.id, r.from, ...r.values]),
      ),
    ),
  );
  for (const r of found.flat()) moved.add(r.id);
  return moved;
}

export interface StepRowUpdate {
  readonly runId: string;
  readonly stepId: string;
  readonly from: StepStatus;
  readonly to: StepStatus;
  /** Null keeps the stored value. */
  readonly prior: string | null;
  readonly outputs: string | null;
}

export function stepKey(runId: string, stepId: string): string {
  return `${runId}\u0000${stepId}`;
}

/** Moves steps still in their `from` status; returns the stepKey of those that moved. */
export async function updateStepRows(sql: Sql, rows: readonly StepRowUpdate[]): Promise<Set<string>> {
  const moved = new Set<string>();
  const found = await Promise.all(
    chunks(rows).map((chunk) =>
      sql.query<{ run_id: string; step_id: string }>(
        `WITH v(run_id, step_id, from_status, status, prior, outputs) AS (VALUES ${tuples(chunk.length, 6)})
       UPDATE run_steps SET status = v.status, prior = COALESCE(v.prior, run_steps.prior),
         outputs = COALESCE(v.outputs, run_steps.outputs)
       FROM v WHERE run_steps.run_id = v.run_id AND run_steps.step_id = v.step_id AND run_steps.status = v.from_status
       RETURNING run_steps.run_id, run_steps.step_id`,
        chunk.flatMap((r) => [r.runId, r.stepId, r.from, r.to, r.prior, r.outputs]),
      ),
    ),
  );
  for (const r of found.flat()) moved.add(stepKey(r.run_id, r.step_id));
  return moved;
}
