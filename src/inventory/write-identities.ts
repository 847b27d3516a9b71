/**
 * Writes planned identity edits (./identity-edits.ts) and their records in the caller's ledger
 * transaction: the rows with one multi-row INSERT for new identities and one multi-row UPDATE for
 * stored ones, each row in the state the last edit of its identity leaves it; then every edit's
 * record in edit order, with that edit's actor and correlation id.
 */
import type { LedgerTx } from '../ledger/ledger-writer.js';
import type { Identity } from './model.js';
import type { IdentityItem } from './plan-types.js';
import type { Actor } from '../ledger/record.js';
import { externalKey } from './read-entities.js';
import { identityRecord, insertIdentities, updateIdentities } from './identity-rows.js';

export interface PlannedEdit {
  readonly item: IdentityItem;
  readonly edit: { readonly actor: Actor; readonly correlationId: string };
}

export async function writeIdentityItems(
  tx: LedgerTx,
  planned: readonly PlannedEdit[],
  now: string,
): Promise<void> {
  const items = planned.map((p) => p.item);
  if (items.some(movesExternalId)) {
    // An external id moving between stored identities is only valid in plan order: a multi-row
    // UPDATE checks the unique key row by row in no set order (rare: runs never move one).
    for (const item of items) await writeRows(tx, [item], now);
  } else await writeRows(tx, items, now);
  for (const { item, edit } of planned) await tx.append(identityRecord(item, edit.actor, edit.correlationId));
}

/** Each identity's row in the state the last of `items` leaves it: inserted if it was not stored. */
async function writeRows(tx: LedgerTx, items: readonly IdentityItem[], now: string): Promise<void> {
  const stored = new Map<string, boolean>();
  const last = new Map<string, Identity>();
  for (const { id, before, after } of items) {
    if (!stored.has(id)) stored.set(id, before !== undefined);
    last.set(id, after);
  }
  const rows = [...last.values()];
  await updateIdentities(
    tx,
    rows.filter((i) => stored.get(i.id) === true),
    now,
  );
  await insertIdentities(
    tx,
    rows.filter((i) => stored.get(i.id) === false),
    now,
  );
}

function movesExternalId(item: IdentityItem): boolean {
  const { before, after } = item;
  return (
    before !== undefined &&
    externalKey(before.system, before.externalId) !== externalKey(after.system, after.externalId)
  );
}
