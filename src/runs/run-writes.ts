/**
 * Group commit for runs. Execution's transactions (filing a run, starting it, recording its last
 * effect with `applied`, recording it verified or paused) are declared as a RunWrite: the run as
 * read, its transitions and step moves in record order, and what must commit after them. Writes
 * of many runs that arrive while the ledger is busy become ONE body of the next group commit,
 * which writes them with a few multi-row statements (run-rows.ts) and appends each run's records
 * in its own order — instead of a savepoint and a few statements per run.
 *
 * Each run keeps the guarantees of its own transaction: its row moves only from the state its
 * writer read (a run that moved on concurrently is refused alone, RUN_TRANSITION_INVALID), its
 * records commit with its state change or not at all, and one run's failure never fails another:
 * if anything in the merged body throws, its ledger unit is undone (the transaction, or the unit's
 * savepoint when it shares one) and every write is retried alone, each in a unit of its own.
 *
 * What commits after the runs' records (`after`) may hand work to the body (run-write-body.ts) to
 * be done once for all its writes when every `after` has run: the inventory write-back of many
 * verified runs is then one read, one plan and a few multi-row statements.
 */
import type { JsonValue } from '../core/canonical-json.js';
import type { Ledger } from '../ledger/ledger.js';
import type { LedgerTx } from '../ledger/ledger-writer.js';
import type { Actor, RecordDraft } from '../ledger/record.js';
import type { PlannedStep, Run } from './run-model.js';
import {
  insertRunRows,
  insertStepRows,
  stepKey,
  updateRunRows,
  updateStepRows,
  type RunRowUpdate,
  type StepRowUpdate,
} from './run-rows.js';
import { movedOn, runRowValues, transitionOf, type TransitionUpdate } from './run-store.js';
import { stepMovedOn, type StepMove } from './run-steps.js';
import type { SqlParam } from '../store/sql.js';
import type { RunEvent } from './state-machine.js';
import { inBody } from './run-write-body.js';

export type RunChange =
  | {
      readonly transition: RunEvent;
      readonly actor: Actor;
      readonly payload: Record<string, JsonValue>;
      readonly update?: TransitionUpdate;
    }
  /** A step's journal move, made from the run as the changes before it leave it. */
  | { readonly move: (run: Run) => StepMove }
  | { readonly record: RecordDraft };

export interface RunWrite {
  /** The run as its writer read it (or as filed, with `insert`). */
  readonly run: Run;
  readonly at: Date;
  /**
   * Files the run: its row is inserted, with the request's canonical text, in the state the changes
   * leave it (requested; or executing, for a request decided and started in the same write).
   */
  readonly insert?: { readonly request: string };
  /** Steps a decision planned, inserted as `planned`. */
  readonly steps?: readonly PlannedStep[];
  /** In the order their records are appended. */
  readonly changes: readonly RunChange[];
  /** Runs after every run's records, with the run as the changes leave it. */
  readonly after?: (tx: LedgerTx, run: Run) => Promise<void>;
}

interface Queued {
  readonly write: RunWrite;
  readonly resolve: (run: Run) => void;
  readonly reject: (e: unknown) => void;
}

/** Merges the run writes of one process into group-committed bodies (one per engine). */
export class RunWriter {
  private queue: Queued[] = [];
  private submitted = false;

  constructor(private readonly ledger: Ledger) {}

  /** Resolves with the run as the write leaves it, once committed. */
  write(write: RunWrite): Promise<Run> {
    return new Promise<Run>((resolve, reject) => {
      this.queue.push({ write, resolve, reject });
      if (!this.submitted) this.submit();
    });
  }

  /** One ledger unit whose body takes every write queued by the time it runs. */
  private submit(): void {
    this.submitted = true;
    let taken: Queued[] | undefined;
    this.ledger
      .transact((tx) => {
        taken = this.queue;
        this.queue = [];
        this.submitted = false;
        return writeRuns(
          tx,
          taken.map((q) => q.write),
        );
      })
      .then(
        ({ value }) => {
          value.forEach((r, i) => {
            if (r.status === 'fulfilled') taken![i]!.resolve(r.value);
            else taken![i]!.reject(r.reason);
          });
        },
        (e: unknown) => {
          // The commit failed (or the body never ran): no write of this unit was recorded.
          if (taken === undefined) {
            taken = this.queue;
            this.queue = [];
            this.submitted = false;
          }
          if (e instanceof MergedBodyFailed) this.retryAlone(taken);
          else for (const q of taken) q.reject(e);
        },
      );
  }

  /** Each write in a ledger unit of its own (its own savepoint), in order: one failing fails alone. */
  private retryAlone(queued: readonly Queued[]): void {
    for (const q of queued) {
      this.ledger
        .transact((tx) => writeRuns(tx, [q.write]))
        .then(
          ({ value: [r] }) => {
            if (r?.status === 'fulfilled') q.resolve(r.value);
            else q.reject(r?.reason);
          },
          (e: unknown) => q.reject(e),
        );
    }
  }
}

/**
 * A merged body threw: the ledger undoes its unit, and the writer retries each of its writes alone.
 * Undoing only the merged writes inside the unit would need a savepoint around them, two more
 * statements that every body would pay for to serve the rare one that fails.
 */
class MergedBodyFailed extends Error {
  constructor(cause: unknown) {
    super('a merged body of run writes failed; each write is retried alone', { cause });
  }
}

/**
 * Writes runs in the caller's transaction, merged. If the merged write throws, this throws
 * MergedBodyFailed and the caller's unit is undone: RunWriter then retries each write alone. A run
 * written twice in one call (two writers racing) is written after the first, alone (a savepoint),
 * so the second finds the row moved on.
 */
export async function writeRuns(
  tx: LedgerTx,
  writes: readonly RunWrite[],
): Promise<PromiseSettledResult<Run>[]> {
  const settled = new Array<PromiseSettledResult<Run>>(writes.length);
  // One write alone is isolated by its transaction (or the unit's savepoint): if it throws, so does this.
  if (writes.length === 1) {
    await writeTogether(tx, writes, [0], settled);
    return settled;
  }
  const seen = new Set<string>();
  const merged: number[] = [];
  const later: number[] = [];
  writes.forEach((w, i) => {
    if (seen.has(w.run.id)) later.push(i);
    else {
      seen.add(w.run.id);
      merged.push(i);
    }
  });
  const alone = async (i: number) => {
    try {
      await tx.isolated(() => writeTogether(tx, [writes[i]!], [i], settled));
    } catch (e) {
      settled[i] = { status: 'rejected', reason: e };
    }
  };
  if (merged.length === 1) await alone(merged[0]!);
  else if (merged.length > 1) {
    try {
      await writeTogether(
        tx,
        merged.map((i) => writes[i]!),
        merged,
        settled,
      );
    } catch (e) {
      throw new MergedBodyFailed(e);
    }
  }
  for (const i of later) await alone(i);
  return settled;
}

interface Planned {
  readonly index: number;
  readonly write: RunWrite;
  readonly final: Run;
  readonly moved: boolean;
  readonly moves: readonly StepMove[];
  readonly records: readonly RecordDraft[];
}

/** The runs' transitions and moves in memory (pure); a transition the machine refuses rejects its run. */
function plan(write: RunWrite, index: number): Planned {
  let run = write.run;
  let moved = false;
  const moves: StepMove[] = [];
  const records: RecordDraft[] = [];
  for (const c of write.changes) {
    if ('transition' in c) {
      const t = transitionOf(run, c.transition, c.actor, c.payload, c.update);
      run = t.next;
      moved = true;
      records.push(t.record);
    } else if ('move' in c) {
      const m = c.move(run);
      moves.push(m);
      records.push(m.record);
    } else records.push(c.record);
  }
  return { index, write, final: run, moved, moves, records };
}

async function writeTogether(
  tx: LedgerTx,
  writes: readonly RunWrite[],
  indexes: readonly number[],
  settled: PromiseSettledResult<Run>[],
): Promise<void> {
  const planned: Planned[] = [];
  writes.forEach((w, i) => {
    try {
      planned.push(plan(w, indexes[i]!));
    } catch (e) {
      settled[indexes[i]!] = { status: 'rejected', reason: e };
    }
  });
  // A filed run's row is inserted as its changes leave it (a request decided and started at once
  // is written once, executing); every other run's row moves from the state its writer read. The
  // four statements are issued together (the write connection sends them back to back): a run that
  // moved on concurrently is rare, and it fails the whole write, whose steps then must not move
  // either (writeRuns retries each write of a merged body alone, where it fails alone).
  const updates: RunRowUpdate[] = planned
    .filter((p) => p.moved && p.write.insert === undefined)
    .map((p) => ({ id: p.write.run.id, from: p.write.run.state, values: runRowValues(p.final, p.write.at) }));
  const stepMoves: StepRowUpdate[] = planned.flatMap((p) =>
    p.moves.map((m) => ({ runId: p.write.run.id, ...m })),
  );
  const results = await Promise.allSettled([
    insertRunRows(
      tx,
      planned.flatMap((p) => (p.write.insert === undefined ? [] : [runInsertRow(p, p.write.insert.request)])),
    ),
    updates.length === 0 ? new Set<string>() : updateRunRows(tx, updates),
    insertStepRows(
      tx,
      planned.flatMap((p) => (p.write.steps ?? []).map((s) => stepInsertRow(p.write.run.id, s))),
    ),
    stepMoves.length === 0 ? new Set<string>() : updateStepRows(tx, stepMoves),
  ]);
  const stepsMoved = stepsMovedOrFail(updates, results);
  const missing = stepMoves.find((m) => !stepsMoved.has(stepKey(m.runId, m.stepId)));
  if (missing !== undefined) throw stepMovedOn(missing.runId, missing.stepId);
  for (const p of planned) for (const record of p.records) await tx.append(record);
  await inBody(tx, async () => {
    for (const p of planned) await p.write.after?.(tx, p.final);
  });
  for (const p of planned) settled[p.index] = { status: 'fulfilled', value: p.final };
}

/**
 * The four statements' results, once all have settled: a run that did not move fails the write as
 * having moved on (whatever failed after it: its steps cannot move either), then the first
 * statement that failed fails it; otherwise, the steps that moved.
 */
function stepsMovedOrFail(
  updates: readonly RunRowUpdate[],
  results: readonly [
    PromiseSettledResult<unknown>,
    PromiseSettledResult<ReadonlySet<string>>,
    PromiseSettledResult<unknown>,
    PromiseSettledResult<ReadonlySet<string>>,
  ],
): ReadonlySet<string> {
  const [, moved, , stepsMoved] = results;
  if (moved.status === 'fulfilled') {
    const stayed = updates.find((u) => !moved.value.has(u.id));
    if (stayed !== undefined) throw movedOn(stayed.id);
  }
  for (const r of results) if (r.status === 'rejected') throw r.reason;
  return (stepsMoved as PromiseFulfilledResult<ReadonlySet<string>>).value;
}

/** In RUN_INSERT_COLUMNS order: the run as filed, in the state its changes leave it. */
function runInsertRow(p: Planned, request: string): SqlParam[] {
  const r = p.write.run;
  return [
    r.id,
    r.requester,
    r.idempotencyKey,
    request,
    r.inputHash,
    r.justification,
    p.write.at.toISOString(),
    ...runRowValues(p.final, p.write.at),
  ];
}

function stepInsertRow(runId: string, s: PlannedStep) {
  return [runId, s.stepId, s.action, s.systemId, s.identityId, JSON.stringify(s.params), 'planned'];
}
