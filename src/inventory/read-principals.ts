/**
 * Reading principals. Personal data is resolved from the vault: the row holds only the
 * commitment, so erasing the vault row erases the value everywhere (it then reads as null).
 */
import { paddedChunks } from '../store/multi-row.js';
import type { Sql } from '../store/sql.js';
import type { Principal, PrincipalKind, Role } from './model.js';

/** A principal with the commitments its personal data is stored under. */
export interface StoredPrincipal extends Principal {
  readonly displayNameCommitment: string | null;
  readonly emailCommitment: string | null;
}

type PrincipalRow = {
  id: string;
  kind: PrincipalKind;
  roles: string;
  display_name: string | null;
  email: string | null;
  display_name_value: string | null;
  email_value: string | null;
};

const SELECT = `SELECT p.id, p.kind, p.roles, p.display_name, p.email,
    dn.value AS display_name_value, em.value AS email_value
  FROM inventory_principals p
  LEFT JOIN pii_vault dn ON dn.commitment = p.display_name
  LEFT JOIN pii_vault em ON em.commitment = p.email`;

/** Runs `query` over the distinct `values` in padded chunks of IN-list placeholders. */
export async function inChunks<T>(
  values: readonly string[],
  query: (placeholders: string, chunk: readonly string[]) => Promise<T[]>,
): Promise<T[]> {
  const out: T[] = [];
  for (const chunk of paddedChunks([...new Set(values)])) {
    out.push(...(await query(chunk.map(() => '?').join(', '), chunk)));
  }
  return out;
}

export async function readPrincipals(
  sql: Sql,
  ids: readonly string[],
): Promise<Map<string, StoredPrincipal>> {
  const rows = await inChunks(ids, (ph, chunk) =>
    sql.query<PrincipalRow>(`${SELECT} WHERE p.id IN (${ph})`, chunk),
  );
  const links = await inChunks(ids, (ph, chunk) =>
    sql.query<{ group_id: string; member_id: string }>(
      `SELECT group_id, member_id FROM inventory_memberships WHERE member_id IN (${ph}) OR group_id IN (${ph}) ORDER BY group_id, member_id`,
      [...chunk, ...chunk],
    ),
  );
  const out = new Map<string, StoredPrincipal>();
  for (const row of rows) {
    out.set(row.id, {
      id: row.id,
      kind: row.kind,
      roles: JSON.parse(row.roles) as Role[],
      groups: unique(links.filter((l) => l.member_id === row.id).map((l) => l.group_id)),
      members: unique(links.filter((l) => l.group_id === row.id).map((l) => l.member_id)),
      displayName: row.display_name_value,
      email: row.email_value,
      displayNameCommitment: row.display_name,
      emailCommitment: row.email,
    });
  }
  return out;
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values)].sort();
}

/** The kind of each principal that exists (what checking an owner needs: no vault, no memberships). */
export async function readPrincipalKinds(
  sql: Sql,
  ids: readonly string[],
): Promise<Map<string, PrincipalKind>> {
  const rows = await inChunks(ids, (ph, chunk) =>
    sql.query<{ id: string; kind: PrincipalKind }>(
      `SELECT id, kind FROM inventory_principals WHERE id IN (${ph})`,
      chunk,
    ),
  );
  return new Map(rows.map((r) => [r.id, r.kind]));
}

export async function countPrincipals(sql: Sql): Promise<number> {
  const [row] = await sql.query<{ n: number | string }>('SELECT COUNT(*) AS n FROM inventory_principals');
  return Number(row?.n ?? 0);
}

/** Strips the commitments: what callers outside the inventory see. */
export function publicPrincipal(p: StoredPrincipal): Principal {
  const { displayNameCommitment: _d, emailCommitment: _e, ...rest } = p;
  return rest;
}
