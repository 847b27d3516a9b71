/**
 * Plans a batch against the stored state: duplicates within the batch, then each entry against
 * what will exist once the whole batch is applied (an entry may reference another of the same
 * batch). Pure once the view is loaded; the view is read in the same transaction as the writes.
 */
import type { Sql } from '../store/sql.js';
import { principalKind } from './principal-id.js';
import type { PrincipalKind } from './model.js';
import { planIdentity, planSystem, type IdentityContext } from './plan-entities.js';
import { planPrincipal, type PrincipalLookup } from './plan-principals.js';
import type { Batch, Candidate, PlanItem, View } from './plan-types.js';
import { countPrincipals, readPrincipals } from './read-principals.js';
import { externalKey, readExternalHolders, readIdentities, readSystems } from './read-entities.js';

export async function loadView(sql: Sql, batch: Batch, actor?: string): Promise<View> {
  const principalIds = [
    ...batch.principals.flatMap((c) => [c.input.id, ...(c.input.groups ?? [])]),
    ...batch.systems.flatMap((c) => (c.input.owner === undefined ? [] : [c.input.owner])),
    ...batch.identities.flatMap((c) => Object.values(c.input.owners ?? {})),
    ...(actor === undefined ? [] : [actor]),
  ];
  const systemIds = [
    ...batch.systems.map((c) => c.input.id),
    ...batch.identities.flatMap((c) => (c.input.system === undefined ? [] : [c.input.system])),
  ];
  const identities = await readIdentities(
    sql,
    batch.identities.map((c) => c.input.id),
  );
  // The keys the plan looks up: where each identity's external id will be once the batch applies.
  const externalKeys = batch.identities.flatMap(({ input }) => {
    const stored = identities.get(input.id);
    const system = input.system ?? stored?.system;
    const externalId = input.externalId ?? stored?.externalId;
    return system === undefined || externalId === undefined ? [] : [[system, externalId] as const];
  });
  return {
    principals: await readPrincipals(sql, principalIds),
    systems: await readSystems(sql, systemIds),
    identities,
    external: await readExternalHolders(sql, externalKeys),
    principalCount: await countPrincipals(sql),
  };
}

/** Plans every entry; an entry with any problem yields no item. */
export function planBatch(batch: Batch, view: View): PlanItem[] {
  const principals = firstOfEach(batch.principals);
  const systems = firstOfEach(batch.systems);
  const identities = firstOfEach(batch.identities);
  const kinds = new Map<string, PrincipalKind>([...view.principals].map(([id, p]) => [id, p.kind]));
  for (const c of principals) kinds.set(c.input.id, principalKind(c.input.id)!);
  const lookup: PrincipalLookup = (id) => kinds.get(id);
  const systemIds = new Set([...view.systems.keys(), ...systems.map((c) => c.input.id)]);
  const ctx: IdentityContext = {
    view,
    lookup,
    systemExists: (id) => systemIds.has(id),
    externalHolder: externalHolders(identities, view),
  };
  const items = [
    ...principals.map((c) => keep(c, planPrincipal(c, view, lookup))),
    ...systems.map((c) => keep(c, planSystem(c, view, lookup))),
    ...identities.map((c) => keep(c, planIdentity(c, ctx))),
  ];
  return items.filter((i): i is PlanItem => i !== undefined);
}

function keep<I extends PlanItem>(c: Candidate<unknown>, item: I | undefined): I | undefined {
  return c.problems.empty ? item : undefined;
}

/** The first entry of each id; later ones get DUPLICATE_ID. */
function firstOfEach<I extends { readonly id: string }>(candidates: readonly Candidate<I>[]): Candidate<I>[] {
  const seen = new Set<string>();
  return candidates.filter((c) => {
    if (!seen.has(c.input.id)) return seen.add(c.input.id);
    c.problems.add('id', 'DUPLICATE_ID', `${c.input.id} appears more than once in this input`);
    return false;
  });
}

function externalHolders(
  identities: readonly Candidate<{ id: string; system?: string; externalId?: string }>[],
  view: View,
): IdentityContext['externalHolder'] {
  const finalKey = new Map<string, string>();
  const holders = new Map<string, string[]>();
  for (const { input } of identities) {
    const before = view.identities.get(input.id);
    const system = input.system ?? before?.system;
    const externalId = input.externalId ?? before?.externalId;
    if (system === undefined || externalId === undefined) continue;
    const key = externalKey(system, externalId);
    finalKey.set(input.id, key);
    holders.set(key, [...(holders.get(key) ?? []), input.id]);
  }
  return (id, system, externalId) => {
    const key = externalKey(system, externalId);
    const stored = view.external.get(key);
    // Whoever already holds the external id keeps it: the newcomers are the duplicates, and
    // among newcomers the first in the input keeps it.
    if (stored === id) return undefined;
    const first = holders.get(key)?.[0];
    if (first !== undefined && first !== id) return first;
    if (stored === undefined) return undefined;
    // The stored holder keeps the external id unless this batch moves it elsewhere.
    return !finalKey.has(stored) || finalKey.get(stored) === key ? stored : undefined;
  };
}
