/**
 * An EffectStore over state read beforehand: it answers the effect's reads from that state and
 * keeps its writes, so that the writes of many steps go to the database together (flushWrites).
 * One recorder per step; a step whose effect throws is simply not flushed.
 */
import { CustosError } from '../../core/errors.js';
import type { SqlParam, WriteConnection } from '../../store/sql.js';
import { insertRows, MAX_ROWS, tuples } from '../../store/multi-row.js';
import type { EffectStore } from './token-effects.js';
import {
  CREDENTIAL_COLUMNS,
  type CredentialRow,
  type IdentityRow,
  type OperationRow,
} from './token-store.js';

type CredentialSet = Parameters<EffectStore['updateCredential']>[1];

export class EffectRecorder implements EffectStore {
  readonly identityInserts: (readonly SqlParam[])[] = [];
  readonly identityUpdates: { readonly row: IdentityRow; readonly now: string }[] = [];
  readonly credentialInserts: (readonly SqlParam[])[] = [];
  readonly credentialUpdates: { readonly id: string; readonly set: CredentialSet }[] = [];
  readonly operations: (readonly SqlParam[])[] = [];

  /** `identity` and `credentials` as read in the batch's transaction. */
  constructor(
    private readonly identity: IdentityRow | undefined,
    private readonly creds: readonly CredentialRow[],
  ) {}

  putIdentity(row: IdentityRow, now: string): Promise<void> {
    if (this.identity === undefined) return this.insertIdentity(row, now);
    this.identityUpdates.push({ row, now });
    return Promise.resolve();
  }

  insertIdentity(row: IdentityRow, now: string): Promise<void> {
    this.identityInserts.push([row.system_id, row.identity_id, row.external_id, row.state, now]);
    return Promise.resolve();
  }

  credentials(): Promise<CredentialRow[]> {
    return Promise.resolve([...this.creds]);
  }

  insertCredential(row: CredentialRow): Promise<void> {
    this.credentialInserts.push(CREDENTIAL_COLUMNS.map((c) => row[c]));
    return Promise.resolve();
  }

  updateCredential(id: string, set: CredentialSet): Promise<void> {
    this.credentialUpdates.push({ id, set });
    return Promise.resolve();
  }

  insertOperation(op: Omit<OperationRow, 'rolled_back_at'>, now: string): void {
    this.operations.push([
      op.run_id,
      op.step_id,
      op.action,
      op.system_id,
      op.identity_id,
      op.credential_id,
      op.outputs,
      now,
    ]);
  }
}

/**
 * Writes what the recorders kept, in the caller's transaction: inserts many rows per statement,
 * updates one row each. An identity that was there when read and is gone now fails the flush (the
 * caller then applies each step alone).
 */
export async function flushWrites(
  conn: WriteConnection,
  recorders: readonly EffectRecorder[],
): Promise<void> {
  const all = <T>(pick: (r: EffectRecorder) => readonly T[]): T[] => recorders.flatMap(pick);
  await insertRows(
    conn,
    'token_identities',
    IDENTITY_COLUMNS,
    all((r) => r.identityInserts),
  );
  for (const { row, now } of all((r) => r.identityUpdates)) {
    const changed = await conn.run(
      'UPDATE token_identities SET state = ?, external_id = ?, updated_at = ? WHERE system_id = ? AND identity_id = ?',
      [row.state, row.external_id, now, row.system_id, row.identity_id],
    );
    if (changed !== 1) {
      throw new CustosError('CONNECTOR_UNAVAILABLE', `identity ${row.identity_id} changed concurrently`, {
        retryable: true,
      });
    }
  }
  await insertRows(
    conn,
    'token_credentials',
    CREDENTIAL_COLUMNS,
    all((r) => r.credentialInserts),
  );
  for (const { id, set } of all((r) => r.credentialUpdates)) {
    const entries = Object.entries(set) as [string, SqlParam][];
    if (entries.length === 0) continue;
    await conn.run(
      `UPDATE token_credentials SET ${entries.map(([c]) => `${c} = ?`).join(', ')} WHERE credential_id = ?`,
      [...entries.map(([, v]) => v), id],
    );
  }
  await insertRows(
    conn,
    'token_operations',
    OPERATION_COLUMNS,
    all((r) => r.operations),
  );
}

const IDENTITY_COLUMNS = ['system_id', 'identity_id', 'external_id', 'state', 'updated_at'] as const;
const OPERATION_COLUMNS = [
  'run_id',
  'step_id',
  'action',
  'system_id',
  'identity_id',
  'credential_id',
  'outputs',
  'applied_at',
] as const;

/**
 * What the recorders kept as ONE statement (PostgreSQL): the identities' and credentials' inserts as
 * data-modifying WITH clauses of the operations' insert, so that it commits atomically by itself
 * with no BEGIN and COMMIT around it. Undefined when the recorders update rows (an update's row count
 * is checked: flushWrites, in a transaction) or a table has more rows than one statement takes.
 */
export function insertsAsOne(
  recorders: readonly EffectRecorder[],
): { readonly sql: string; readonly params: SqlParam[] } | undefined {
  if (recorders.some((r) => r.identityUpdates.length > 0 || r.credentialUpdates.length > 0)) return undefined;
  const tables = [
    {
      table: 'token_identities',
      columns: IDENTITY_COLUMNS,
      rows: recorders.flatMap((r) => r.identityInserts),
    },
    {
      table: 'token_credentials',
      columns: CREDENTIAL_COLUMNS,
      rows: recorders.flatMap((r) => r.credentialInserts),
    },
    { table: 'token_operations', columns: OPERATION_COLUMNS, rows: recorders.flatMap((r) => r.operations) },
  ].filter((t) => t.rows.length > 0);
  if (tables.length === 0 || tables.some((t) => t.rows.length > MAX_ROWS)) return undefined;
  const inserts = tables.map(
    ({ table, columns, rows }) =>
      `INSERT INTO ${table} (${columns.join(', ')}) VALUES ${tuples(rows.length, columns.length)}`,
  );
  const last = inserts.pop()!;
  // Placeholders are numbered in text order: the WITH clauses' first, in `tables` order, then the last.
  const sql =
    inserts.length === 0 ? last : `WITH ${inserts.map((s, i) => `w${i} AS (${s})`).join(', ')} ${last}`;
  return { sql, params: tables.flatMap((t) => t.rows.flat()) };
}
