/**
 * Writes a planned batch and its ledger records inside the caller's ledger transaction: each
 * created or updated entity appends one record in the same transaction as its row, so the state
 * change and its record commit together or not at all.
 */
import type { LedgerTx } from '../ledger/ledger-writer.js';
import type { Actor } from '../ledger/record.js';
import type { IdentityItem, PlanItem, PrincipalItem, PrincipalState, SystemItem } from './plan-types.js';
import type { JsonValue } from '../core/canonical-json.js';
import { IDENTITY_COLUMNS, identityRecord, identityValues, insertIdentities } from './identity-rows.js';
import { json, recordChanges, recordSystem, systemField, type Payload } from './record-payload.js';

export interface ApplyContext {
  readonly tx: LedgerTx;
  readonly actor: Actor;
  readonly correlationId: string;
  readonly now: string;
  /** The actor creates itself as the inventory's first principal. */
  readonly bootstrap: boolean;
}

export async function applyPlan(items: readonly PlanItem[], ctx: ApplyContext): Promise<void> {
  const changed = items.filter((i) => i.action !== 'unchanged');
  // Principals first (memberships and owners reference them), then systems, then identities.
  // A bootstrapping actor's own creation is the first record: nothing is recorded before it exists.
  const principals = changed
    .filter((i): i is PrincipalItem => i.kind === 'principal')
    .sort((a, b) => Number(b.id === ctx.actor.id) - Number(a.id === ctx.actor.id));
  for (const item of principals) await writePrincipal(item, ctx);
  for (const item of principals) await writeMemberships(item, ctx);
  for (const item of changed) if (item.kind === 'system') await writeSystem(item, ctx);
  for (const item of changed) if (item.kind === 'identity') await writeIdentity(item, ctx);
}

async function append(ctx: ApplyContext, item: PlanItem, payload: Payload): Promise<void> {
  await ctx.tx.append({
    type: `inventory.${item.kind}_${item.action === 'create' ? 'created' : 'updated'}`,
    correlationId: ctx.correlationId,
    actor: ctx.actor,
    subject: { kind: item.kind, id: item.id },
    payload,
  });
}

async function writePrincipal(item: PrincipalItem, ctx: ApplyContext): Promise<void> {
  const { after, before } = item;
  const commitOf = async (field: 'displayName' | 'email', stored: string | null | undefined) => {
    const value = after[field];
    if (value === null) return null;
    // An unchanged value keeps its commitment; a new one is committed in the vault.
    return before !== undefined && value === before[field]
      ? (stored ?? null)
      : ctx.tx.commitPersonalData(value);
  };
  const displayName = await commitOf('displayName', before?.displayNameCommitment);
  const email = await commitOf('email', before?.emailCommitment);
  const roles = JSON.stringify(after.roles);
  if (before === undefined) {
    await ctx.tx.run(
      'INSERT INTO inventory_principals (id, kind, display_name, email, roles, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
      [after.id, after.kind, displayName, email, roles, ctx.now, ctx.now],
    );
    const principal = { ...after, displayName, email };
    const bootstrap = ctx.bootstrap && item.id === ctx.actor.id;
    await append(ctx, item, { principal: json(principal), ...(bootstrap ? { bootstrap: true } : {}) });
    return;
  }
  await ctx.tx.run(
    'UPDATE inventory_principals SET display_name = ?, email = ?, roles = ?, updated_at = ? WHERE id = ?',
    [displayName, email, roles, ctx.now, after.id],
  );
  const changes: Record<string, JsonValue> = {};
  for (const field of item.changed as (keyof PrincipalState)[]) {
    changes[field] =
      field === 'displayName'
        ? { from: before.displayNameCommitment, to: displayName }
        : field === 'email'
          ? { from: before.emailCommitment, to: email }
          : { from: json(before[field]), to: json(after[field]) };
  }
  await append(ctx, item, { changes });
}

async function writeMemberships(item: PrincipalItem, ctx: ApplyContext): Promise<void> {
  const old = new Set(item.before?.groups ?? []);
  const next = new Set(item.after.groups);
  for (const group of old) {
    if (!next.has(group))
      await ctx.tx.run('DELETE FROM inventory_memberships WHERE group_id = ? AND member_id = ?', [
        group,
        item.id,
      ]);
  }
  for (const group of next) {
    if (!old.has(group))
      await ctx.tx.run('INSERT INTO inventory_memberships (group_id, member_id) VALUES (?, ?)', [
        group,
        item.id,
      ]);
  }
}

async function writeSystem(item: SystemItem, ctx: ApplyContext): Promise<void> {
  const s = item.after;
  const values = [s.type, s.environment, s.owner, JSON.stringify(s.connection), ctx.now];
  if (item.before === undefined) {
    await ctx.tx.run(
      'INSERT INTO inventory_systems (type, environment, owner, connection, updated_at, created_at, id) VALUES (?, ?, ?, ?, ?, ?, ?)',
      [...values, ctx.now, s.id],
    );
    await append(ctx, item, { system: recordSystem(s) });
  } else {
    await ctx.tx.run(
      'UPDATE inventory_systems SET type = ?, environment = ?, owner = ?, connection = ?, updated_at = ? WHERE id = ?',
      [...values, s.id],
    );
    await append(ctx, item, { changes: recordChanges(item, systemField) });
  }
}

async function writeIdentity(item: IdentityItem, ctx: ApplyContext): Promise<void> {
  if (item.before === undefined) await insertIdentities(ctx.tx, [item.after], ctx.now);
  else {
    await ctx.tx.run(
      `UPDATE inventory_identities SET ${IDENTITY_COLUMNS.map((c) => `${c} = ?`).join(', ')} WHERE id = ?`,
      [...identityValues(item.after, ctx.now), item.id],
    );
  }
  await ctx.tx.append(identityRecord(item, ctx.actor, ctx.correlationId));
}
