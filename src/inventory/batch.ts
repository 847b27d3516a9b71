/**
 * The write path of the inventory's own operations (the service API, imports): load what a batch
 * touches, plan it, and (unless this is a dry run) write it with its records — all inside one
 * ledger transaction, so every check sees the state it is written against, and any problem leaves
 * nothing written. What runs change inside their own transactions goes through ./identity-edits.ts.
 */
import crypto from 'node:crypto';
import { CustosError } from '../core/errors.js';
import type { Ledger } from '../ledger/ledger.js';
import type { Actor } from '../ledger/record.js';
import type { AppendedRecord } from '../ledger/sequencer.js';
import type { Sql } from '../store/sql.js';
import { applyPlan } from './apply.js';
import { loadView, planBatch } from './plan.js';
import type { Batch, PlanItem, View } from './plan-types.js';
import { actorFor } from './principal-id.js';
import type { Payload } from './record-payload.js';

export interface BatchOptions {
  /** The acting principal: a person or a service that exists (or that this batch bootstraps). */
  readonly actor: string;
  readonly correlationId?: string;
  readonly dryRun?: boolean;
  /** The payload of an `inventory.imported` record appended after the batch's own records. */
  readonly importRecord?: (items: readonly PlanItem[]) => Payload;
  /** Refuse with NOT_FOUND unless this entity exists (updates of the service API). */
  readonly mustExist?: { readonly kind: 'principal' | 'system' | 'identity'; readonly id: string };
}

export interface BatchResult {
  /** False when any candidate has a problem (read them from the candidates); nothing was written. */
  readonly ok: boolean;
  readonly items: readonly PlanItem[];
  readonly records: readonly AppendedRecord[];
  readonly correlationId: string;
}

export interface BatchDeps {
  readonly ledger: Ledger;
  readonly now: () => Date;
}

export async function runBatch(deps: BatchDeps, batch: Batch, options: BatchOptions): Promise<BatchResult> {
  const correlationId = options.correlationId ?? `inventory-${crypto.randomUUID()}`;
  const ok = () =>
    [...batch.principals, ...batch.systems, ...batch.identities].every((c) => c.problems.empty);
  const plan = async (sql: Sql) => {
    const view = await loadView(sql, batch, options.actor);
    checkExists(view, options.mustExist);
    const actor = resolveActor(options.actor, view, batch);
    return { actor, items: planBatch(batch, view) };
  };
  if (options.dryRun === true) {
    const { items } = await plan(deps.ledger.store.read);
    return { ok: ok(), items, records: [], correlationId };
  }
  const { value, records } = await deps.ledger.transact(async (tx) => {
    const { actor, items } = await plan(tx);
    if (!ok()) return { ok: false, items };
    const context = { tx, actor: actor.actor, correlationId, now: deps.now().toISOString() };
    await applyPlan(items, { ...context, bootstrap: actor.bootstrap }).catch((e: unknown) => {
      throw isUniqueViolation(e)
        ? new CustosError('STORE_CONFLICT', 'a concurrent change took the same id; nothing was written', {
            cause: e,
            retryable: true,
          })
        : e;
    });
    if (options.importRecord !== undefined) {
      await tx.append({
        type: 'inventory.imported',
        correlationId,
        actor: actor.actor,
        subject: { kind: 'import', id: correlationId },
        payload: options.importRecord(items),
      });
    }
    return { ok: true, items };
  });
  return { ...value, records, correlationId };
}

/**
 * Bootstrap: while the inventory holds no principal, the first batch may be made by a principal
 * that the batch itself creates (its first record then says `bootstrap: true`). After that every
 * actor must already exist. A group never acts.
 */
function resolveActor(id: string, view: View, batch: Batch): { actor: Actor; bootstrap: boolean } {
  const actor = actorFor(id);
  if (view.principals.has(id)) return { actor, bootstrap: false };
  if (view.principalCount === 0 && batch.principals.some((c) => c.input.id === id)) {
    return { actor, bootstrap: true };
  }
  throw new CustosError('PRINCIPAL_UNKNOWN', `the acting principal ${id} does not exist`, {
    details: { field: 'actor' },
  });
}

/** Another process wrote the same key between this batch's plan and its write. */
function isUniqueViolation(e: unknown): boolean {
  const code = typeof e === 'object' && e !== null ? (e as { code?: unknown }).code : undefined;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

function checkExists(view: View, must: BatchOptions['mustExist']): void {
  if (must === undefined) return;
  const maps = { principal: view.principals, system: view.systems, identity: view.identities };
  if (!maps[must.kind].has(must.id))
    throw new CustosError('NOT_FOUND', `${must.kind} ${must.id} does not exist`);
}
