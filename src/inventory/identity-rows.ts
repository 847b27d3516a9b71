/**
 * How an identity is stored (its `inventory_identities` row) and how a change to it is recorded:
 * shared by the batch path (./apply.ts) and the in-transaction edits of runs (./identity-edits.ts),
 * so both write the same row and the same record for the same change.
 */
import type { Actor, RecordDraft } from '../ledger/record.js';
import { insertRows, updateRows } from '../store/multi-row.js';
import type { Sql, SqlParam } from '../store/sql.js';
import type { Identity } from './model.js';
import type { IdentityItem } from './plan-types.js';
import { recordChanges, recordIdentity } from './record-payload.js';

/** The columns a write sets, in `identityValues` order (then `created_at` and `id` on insert). */
export const IDENTITY_COLUMNS = [
  'kind',
  'system_id',
  'external_id',
  'state',
  'business_owner',
  'policy_owner',
  'platform_owner',
  'credentials',
  'entitlements',
  'tags',
  'risk_tier',
  'updated_at',
] as const;

export function identityValues(i: Identity, now: string): SqlParam[] {
  return [
    i.kind,
    i.system,
    i.externalId,
    i.state,
    i.owners.business ?? null,
    i.owners.policy ?? null,
    i.owners.platform ?? null,
    JSON.stringify(i.credentials),
    JSON.stringify(i.entitlements),
    JSON.stringify(i.tags),
    i.riskTier,
    now,
  ];
}

/** Inserts new identities, many per statement. */
export function insertIdentities(sql: Sql, identities: readonly Identity[], now: string): Promise<void> {
  return insertRows(
    sql,
    'inventory_identities',
    [...IDENTITY_COLUMNS, 'created_at', 'id'],
    identities.map((i) => [...identityValues(i, now), now, i.id]),
  );
}

/** Rewrites stored identities (distinct ids), many per statement. */
export function updateIdentities(sql: Sql, identities: readonly Identity[], now: string): Promise<void> {
  return updateRows(
    sql,
    'inventory_identities',
    'id',
    IDENTITY_COLUMNS,
    identities.map((i) => [i.id, ...identityValues(i, now)]),
  );
}

/** The record of a created or updated identity (never of an unchanged one). */
export function identityRecord(item: IdentityItem, actor: Actor, correlationId: string): RecordDraft {
  return {
    type: `inventory.identity_${item.action === 'create' ? 'created' : 'updated'}`,
    correlationId,
    actor,
    subject: { kind: 'identity', id: item.id },
    payload:
      item.before === undefined ? { identity: recordIdentity(item.after) } : { changes: recordChanges(item) },
  };
}
