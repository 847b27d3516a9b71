/** Reading systems and identities (rows written only by ./apply.ts, so their JSON is trusted). */
import type { Sql } from '../store/sql.js';
import type {
  Credential,
  Identity,
  IdentityKind,
  LifecycleState,
  RiskTier,
  System,
  SystemType,
} from './model.js';
import { selectPairs } from '../store/multi-row.js';
import { inChunks } from './read-principals.js';

type SystemRow = {
  id: string;
  type: SystemType;
  environment: string;
  owner: string;
  connection: string;
  last_reconciled_at: string | null;
  open_critical_findings: number | string;
};

type IdentityRow = {
  id: string;
  kind: IdentityKind;
  system_id: string;
  external_id: string;
  state: LifecycleState;
  business_owner: string | null;
  policy_owner: string | null;
  platform_owner: string | null;
  credentials: string;
  entitlements: string;
  tags: string;
  risk_tier: RiskTier;
  last_verified_at: string | null;
};

export async function readSystems(sql: Sql, ids: readonly string[]): Promise<Map<string, System>> {
  const rows = await inChunks(ids, (ph, chunk) =>
    sql.query<SystemRow>(`SELECT * FROM inventory_systems WHERE id IN (${ph})`, chunk),
  );
  return new Map(rows.map((r) => [r.id, toSystem(r)]));
}

export async function readIdentities(sql: Sql, ids: readonly string[]): Promise<Map<string, Identity>> {
  const rows = await inChunks(ids, (ph, chunk) =>
    sql.query<IdentityRow>(`SELECT * FROM inventory_identities WHERE id IN (${ph})`, chunk),
  );
  return new Map(rows.map((r) => [r.id, toIdentity(r)]));
}

/**
 * The identity holding each of the given (system, external id) keys, keyed by `externalKey`. By
 * pairs, so that the unique index on (system_id, external_id) answers it however large the
 * inventory grows.
 */
export async function readExternalHolders(
  sql: Sql,
  keys: readonly (readonly [system: string, externalId: string])[],
): Promise<Map<string, string>> {
  const rows = await selectPairs<{ id: string; system_id: string; external_id: string }>(
    sql,
    'SELECT id, system_id, external_id FROM inventory_identities',
    ['system_id', 'external_id'],
    keys,
  );
  return new Map(rows.map((r) => [externalKey(r.system_id, r.external_id), r.id]));
}

export function externalKey(system: string, externalId: string): string {
  return `${system}\u0000${externalId}`;
}

/** One page of ids in id order, optionally filtered by a column. */
export async function pageIds(
  sql: Sql,
  table: 'inventory_principals' | 'inventory_systems' | 'inventory_identities',
  after: string | undefined,
  limit: number,
  where?: { readonly column: 'system_id'; readonly value: string },
): Promise<string[]> {
  const conditions: string[] = [];
  const params: string[] = [];
  if (after !== undefined) {
    conditions.push('id > ?');
    params.push(after);
  }
  if (where !== undefined) {
    conditions.push(`${where.column} = ?`);
    params.push(where.value);
  }
  const filter = conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : '';
  const rows = await sql.query<{ id: string }>(`SELECT id FROM ${table} ${filter} ORDER BY id LIMIT ?`, [
    ...params,
    limit,
  ]);
  return rows.map((r) => r.id);
}

function toSystem(r: SystemRow): System {
  return {
    id: r.id,
    type: r.type,
    environment: r.environment,
    owner: r.owner,
    connection: JSON.parse(r.connection) as System['connection'],
    lastReconciledAt: r.last_reconciled_at,
    openCriticalFindings: Number(r.open_critical_findings),
  };
}

function toIdentity(r: IdentityRow): Identity {
  const owners: Record<string, string> = {};
  if (r.business_owner !== null) owners['business'] = r.business_owner;
  if (r.policy_owner !== null) owners['policy'] = r.policy_owner;
  if (r.platform_owner !== null) owners['platform'] = r.platform_owner;
  return {
    id: r.id,
    kind: r.kind,
    system: r.system_id,
    externalId: r.external_id,
    state: r.state,
    owners,
    credentials: JSON.parse(r.credentials) as Credential[],
    entitlements: JSON.parse(r.entitlements) as string[],
    tags: JSON.parse(r.tags) as Record<string, string>,
    riskTier: r.risk_tier,
    lastVerifiedAt: r.last_verified_at,
  };
}
