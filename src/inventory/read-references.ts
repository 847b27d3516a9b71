/**
 * What identity changes reference, read in one query: the kind of each owner named, whether each
 * system named exists, and which identity holds each (system, external id) key. Identity edits in
 * a run's transaction (./identity-edits.ts) read this once per group-commit body, on the ledger's
 * one write connection, so one statement instead of three is worth its UNION.
 */
import { MAX_ROWS, paddedChunks, pairLookup, placeholders } from '../store/multi-row.js';
import type { Sql, SqlParam } from '../store/sql.js';
import type { PrincipalKind } from './model.js';
import { externalKey, readExternalHolders, readSystems } from './read-entities.js';
import { readPrincipalKinds } from './read-principals.js';

export interface References {
  /** Principal id → kind, for the principals that exist. */
  readonly kinds: Map<string, PrincipalKind>;
  /** The systems that exist. */
  readonly systems: Set<string>;
  /** `externalKey(system, externalId)` → the identity holding it. */
  readonly holders: Map<string, string>;
}

type Key = readonly [system: string, externalId: string];

export async function readReferences(
  sql: Sql,
  principals: readonly string[],
  systems: readonly string[],
  keys: readonly Key[],
): Promise<References> {
  const unique = {
    principals: [...new Set(principals)],
    systems: [...new Set(systems)],
    keys: [...new Map(keys.map((k) => [externalKey(...k), k])).values()],
  };
  if (Object.values(unique).some((list) => list.length > MAX_ROWS)) {
    // Large lists (imports, never a body of runs): one chunked read each.
    return {
      kinds: await readPrincipalKinds(sql, unique.principals),
      systems: new Set((await readSystems(sql, unique.systems)).keys()),
      holders: await readExternalHolders(sql, unique.keys),
    };
  }
  const parts: string[] = [];
  const params: SqlParam[] = [];
  const [p] = paddedChunks(unique.principals);
  if (p !== undefined) {
    parts.push(`SELECT 'principal' AS entity, id, kind AS a, NULL AS b FROM inventory_principals
      WHERE id IN (${placeholders(p)})`);
    params.push(...p);
  }
  const [s] = paddedChunks(unique.systems);
  if (s !== undefined) {
    parts.push(`SELECT 'system' AS entity, id, NULL AS a, NULL AS b FROM inventory_systems
      WHERE id IN (${placeholders(s)})`);
    params.push(...s);
  }
  const k = unique.keys.length === 0 ? undefined : pairLookup(['system_id', 'external_id'], unique.keys);
  if (k !== undefined) {
    parts.push(`SELECT 'holder' AS entity, id, system_id AS a, external_id AS b FROM inventory_identities
      WHERE ${k.where}`);
    params.push(...k.params);
  }
  const found: References = { kinds: new Map(), systems: new Set(), holders: new Map() };
  if (parts.length === 0) return found;
  const rows = await sql.query<{ entity: string; id: string; a: string | null; b: string | null }>(
    parts.join(' UNION ALL '),
    params,
  );
  for (const r of rows) {
    if (r.entity === 'principal') found.kinds.set(r.id, r.a as PrincipalKind);
    else if (r.entity === 'system') found.systems.add(r.id);
    else if (k?.asked(r.a!, r.b!)) found.holders.set(externalKey(r.a!, r.b!), r.id);
  }
  return found;
}
