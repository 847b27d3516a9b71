/**
 * The token issuer's state read and written for many steps in one statement each (token-batch.ts):
 * lookups by lists of keys and multi-row INSERTs, the same SQL on SQLite and PostgreSQL. Statements
 * carry at most MAX_ROWS rows (store/multi-row.ts).
 */
import { paddedChunks, pairKey, placeholders, selectPairs } from '../../store/multi-row.js';
import type { Sql } from '../../store/sql.js';
import {
  CREDENTIAL_COLUMNS,
  FOUND_SELECT,
  foundOf,
  type CredentialRow,
  type FoundCredential,
  type FoundRow,
  type IdentityRow,
  type OperationRow,
} from './token-store.js';

/** The operations recorded for these (run, step) pairs, by pairKey(run, step). */
export async function operationsOf(
  sql: Sql,
  pairs: readonly (readonly [string, string])[],
): Promise<Map<string, OperationRow>> {
  const rows = await selectPairs<OperationRow & Record<string, unknown>>(
    sql,
    'SELECT run_id, step_id, action, system_id, identity_id, credential_id, outputs, rolled_back_at FROM token_operations',
    ['run_id', 'step_id'],
    pairs,
  );
  return new Map(rows.map((r) => [pairKey(r.run_id, r.step_id), r]));
}

/** These (system, identity) identities, by pairKey(system, identity). */
export async function identitiesOf(
  sql: Sql,
  pairs: readonly (readonly [string, string])[],
): Promise<Map<string, IdentityRow>> {
  const rows = await selectPairs<IdentityRow & Record<string, unknown>>(
    sql,
    'SELECT system_id, identity_id, external_id, state FROM token_identities',
    ['system_id', 'identity_id'],
    pairs,
  );
  return new Map(rows.map((r) => [pairKey(r.system_id, r.identity_id), r]));
}

/** The credentials of these (system, identity) pairs, in issue order, by pairKey(system, identity). */
export async function credentialsOf(
  sql: Sql,
  pairs: readonly (readonly [string, string])[],
): Promise<Map<string, CredentialRow[]>> {
  const rows = await selectPairs<CredentialRow & Record<string, unknown>>(
    sql,
    `SELECT ${CREDENTIAL_COLUMNS.join(', ')} FROM token_credentials`,
    ['system_id', 'identity_id'],
    pairs,
    // The order of TokenStore.credentials (the database's collation), kept within each identity.
    ' ORDER BY issued_at, credential_id',
  );
  const out = new Map<string, CredentialRow[]>();
  for (const row of rows) {
    const key = pairKey(row.system_id, row.identity_id);
    const list = out.get(key);
    if (list === undefined) out.set(key, [row]);
    else list.push(row);
  }
  return out;
}

/** The credentials with these fingerprints, with their identities, by fingerprint. */
export async function credentialsByFingerprints(
  sql: Sql,
  fingerprints: readonly string[],
): Promise<Map<string, FoundCredential>> {
  const out = new Map<string, FoundCredential>();
  for (const chunk of paddedChunks([...new Set(fingerprints)])) {
    const rows = await sql.query<FoundRow>(
      `${FOUND_SELECT} WHERE c.fingerprint IN (${placeholders(chunk)})`,
      chunk,
    );
    for (const row of rows) out.set(row.fingerprint, foundOf(row));
  }
  return out;
}
