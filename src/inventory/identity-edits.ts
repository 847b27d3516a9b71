/**
 * Many identity edits inside the caller's ledger transaction: the write-back of the runs that one
 * group-commit body records verified. What the edits name is read once for all of them; each edit
 * is then planned in order against the state the edits before it leave — exactly as if each had
 * been applied alone, one after another — and the rows are written with multi-row statements.
 * Each applied edit appends its own record, with its own actor and correlation id, in edit order.
 *
 * An edit the inventory refuses (invalid input, an unknown owner, a transition the lifecycle does
 * not allow, …) writes nothing and is reported with its problems; the others are still written.
 * Anything else that fails (the store) throws: the caller's transaction decides what is undone.
 */
import type { LedgerTx } from '../ledger/ledger-writer.js';
import type { Actor } from '../ledger/record.js';
import type { Sql } from '../store/sql.js';
import type { Identity, PrincipalKind } from './model.js';
import { planIdentity, type IdentityContext } from './plan-entities.js';
import type { IdentityItem } from './plan-types.js';
import { Problems, type FieldProblem } from './problems.js';
import { externalKey, readIdentities } from './read-entities.js';
import { readReferences } from './read-references.js';
import { validateIdentity, type IdentityInput } from './validate-identity.js';
import { writeIdentityItems } from './write-identities.js';

export interface IdentityChange {
  /** Names the edit's identity. */
  readonly input: IdentityInput;
  /** `create` refuses an identity that exists; `upsert` creates or patches. */
  readonly mode: 'create' | 'upsert';
}

export interface IdentityEdit {
  readonly id: string;
  /** Who made the change (for a run, its executor): named on the record, not checked as a principal. */
  readonly actor: Actor;
  readonly correlationId: string;
  /**
   * The change to make, given the identity as the edits before this one leave it (undefined when it
   * does not exist): a grant adds to the entitlements held then. Undefined: nothing to change.
   */
  readonly change: (current: Identity | undefined) => IdentityChange | undefined;
}

export type EditStatus = 'created' | 'updated' | 'unchanged' | 'refused';

export interface EditOutcome {
  readonly status: EditStatus;
  /** The identity as this edit found it. */
  readonly current: Identity | undefined;
  /** Why the inventory refused the change; empty unless refused. */
  readonly problems: readonly FieldProblem[];
}

/** What the edits were planned against, as the edits planned so far leave it. */
interface State {
  /** Every identity an edit names (absent: it does not exist). */
  readonly identities: Map<string, Identity>;
  /** `externalKey` → holder, for every key known (null: known to be free). */
  readonly holders: Map<string, string | null>;
  /** Principal id → kind, for every principal known (null: does not exist). */
  readonly kinds: Map<string, PrincipalKind | null>;
  /** System id → whether it exists, for every system known. */
  readonly systems: Map<string, boolean>;
}

interface Pending {
  readonly edit: IdentityEdit;
  readonly current: Identity | undefined;
  readonly change: IdentityChange | undefined;
  readonly problems: Problems;
}

export async function applyIdentityEdits(
  tx: LedgerTx,
  edits: readonly IdentityEdit[],
  now: Date,
): Promise<EditOutcome[]> {
  const identities = await readIdentities(
    tx,
    edits.map((e) => e.id),
  );
  const state: State = { identities, holders: new Map(), kinds: new Map(), systems: new Map() };
  // A stored identity holds its own external id (the key is unique).
  for (const i of identities.values()) state.holders.set(externalKey(i.system, i.externalId), i.id);
  const outcomes: EditOutcome[] = [];
  const items: { readonly item: IdentityItem; readonly edit: IdentityEdit }[] = [];
  for (const segment of segments(edits)) {
    // Within a segment no edit sees another's identity, so each change can be made up front; what
    // the changes reference is then read once, and the edits planned one after another.
    const pending = segment.map((edit) => prepare(edit, state));
    await loadReferences(tx, state, pending);
    for (const p of pending) {
      const item = plan(p, state);
      if (item !== undefined) items.push({ item, edit: p.edit });
      outcomes.push(outcomeOf(p, item));
    }
  }
  await writeIdentityItems(tx, items, now.toISOString());
  return outcomes;
}

/** Consecutive edits of distinct identities: a second edit of one identity starts a new segment. */
function segments(edits: readonly IdentityEdit[]): IdentityEdit[][] {
  const out: IdentityEdit[][] = [];
  let ids = new Set<string>();
  for (const edit of edits) {
    if (out.length === 0 || ids.has(edit.id)) {
      out.push([]);
      ids = new Set();
    }
    ids.add(edit.id);
    out[out.length - 1]!.push(edit);
  }
  return out;
}

function prepare(edit: IdentityEdit, state: State): Pending {
  const current = state.identities.get(edit.id);
  const change = edit.change(current);
  if (change !== undefined && change.input.id !== edit.id) {
    throw new TypeError(`an edit of ${edit.id} changed ${change.input.id}`);
  }
  return { edit, current, change, problems: new Problems() };
}

/** Reads, in one query, the owners, systems and external id holders the changes name, not known yet. */
async function loadReferences(sql: Sql, state: State, pending: readonly Pending[]): Promise<void> {
  const principals = new Set<string>();
  const systems = new Set<string>();
  const keys = new Map<string, readonly [string, string]>();
  for (const { change, current } of pending) {
    if (change === undefined) continue;
    const { input } = change;
    for (const owner of Object.values(input.owners ?? {})) {
      if (typeof owner === 'string' && !state.kinds.has(owner)) principals.add(owner);
    }
    if (typeof input.system === 'string' && !state.systems.has(input.system)) systems.add(input.system);
    const system = input.system ?? current?.system;
    const externalId = input.externalId ?? current?.externalId;
    if (typeof system !== 'string' || typeof externalId !== 'string') continue;
    const key = externalKey(system, externalId);
    if (!state.holders.has(key)) keys.set(key, [system, externalId]);
  }
  if (principals.size + systems.size + keys.size === 0) return;
  const found = await readReferences(sql, [...principals], [...systems], [...keys.values()]);
  for (const id of principals) state.kinds.set(id, found.kinds.get(id) ?? null);
  for (const id of systems) state.systems.set(id, found.systems.has(id));
  for (const key of keys.keys()) state.holders.set(key, found.holders.get(key) ?? null);
}

/** Validates and plans one edit against the state; an applied edit moves the state on. */
function plan(p: Pending, state: State): IdentityItem | undefined {
  if (p.change === undefined) return undefined;
  const input = validateIdentity(p.change.input, p.problems);
  if (input === undefined || !p.problems.empty) return undefined;
  const ctx: IdentityContext = {
    view: state,
    lookup: (id) => state.kinds.get(id) ?? undefined,
    systemExists: (id) => state.systems.get(id) === true,
    externalHolder: (id, system, externalId) => {
      const holder = state.holders.get(externalKey(system, externalId));
      return holder === null || holder === undefined || holder === id ? undefined : holder;
    },
  };
  const item = planIdentity({ input, mode: p.change.mode, problems: p.problems }, ctx);
  if (item === undefined || !p.problems.empty || item.action === 'unchanged') return undefined;
  const { before, after } = item;
  if (before !== undefined) state.holders.set(externalKey(before.system, before.externalId), null);
  state.holders.set(externalKey(after.system, after.externalId), after.id);
  state.identities.set(after.id, after);
  return item;
}

function outcomeOf(p: Pending, item: IdentityItem | undefined): EditOutcome {
  const { current } = p;
  if (!p.problems.empty) return { status: 'refused', current, problems: p.problems.list };
  if (item === undefined) return { status: 'unchanged', current, problems: [] };
  return { status: item.action === 'create' ? 'created' : 'updated', current, problems: [] };
}
