/**
 * The body of a group commit of run writes (run-writes.ts), as its `after` hooks see it: a hook may
 * hand work over to be done once for every write of the body, so that the inventory write-back of
 * the runs verified together is one read, one plan and a few multi-row statements, not that per run.
 */
import type { LedgerTx } from '../ledger/ledger-writer.js';

/**
 * Work that the `after` hooks of one body hand over, done once for all of them when every hook has
 * run. It runs inside the body: what it writes commits with the body's writes or not at all, and
 * if it throws the body throws (a merged body is then undone and each write retried alone — with
 * its own items alone).
 */
export interface BodyBatch<T> {
  run(tx: LedgerTx, items: readonly T[]): Promise<void>;
}

/**
 * The batches of the body whose `after` hooks are running, by its transaction: the hooks get only
 * the transaction, and a transaction runs one body's hooks at a time (bodies run one after another).
 */
const running = new WeakMap<LedgerTx, Map<BodyBatch<unknown>, unknown[]>>();

/**
 * From an `after` hook: adds `item` to the body's `batch`, done when every hook of the body has
 * run. Outside a body's hooks, `batch` runs now with `item` alone.
 */
export async function addToBody<T>(tx: LedgerTx, batch: BodyBatch<T>, item: T): Promise<void> {
  const body = running.get(tx);
  if (body === undefined) return batch.run(tx, [item]);
  const items = body.get(batch);
  if (items === undefined) body.set(batch, [item]);
  else items.push(item);
}

/** Runs a body's `hooks`, then the batches they handed over; inside the body, so both commit or neither. */
export async function inBody(tx: LedgerTx, hooks: () => Promise<void>): Promise<void> {
  const body = new Map<BodyBatch<unknown>, unknown[]>();
  running.set(tx, body);
  try {
    await hooks();
  } finally {
    running.delete(tx);
  }
  for (const [batch, items] of body) await batch.run(tx, items);
}
