/**
 * SQL for the token issuer's state (migration 0005). Operations run serially on one write
 * connection, each inside a transaction, so an effect and the record of its (run, step) commit
 * together: a crash leaves either both or neither. Steps queued together share one transaction
 * (token-batch.ts).
 */
import { CustosError, isCustosError } from '../../core/errors.js';
import type { SqlParam, WriteConnection } from '../../store/sql.js';

export type IdentityState = 'active' | 'suspended' | 'retired';
export type CredentialKind = 'api_key' | 'token';

export interface CredentialRow {
  readonly credential_id: string;
  readonly system_id: string;
  readonly identity_id: string;
  readonly kind: CredentialKind;
  readonly fingerprint: string;
  readonly issued_at: string;
  readonly expires_at: string | null;
  readonly revoked_at: string | null;
  readonly superseded_at: string | null;
  readonly grace_until: string | null;
  readonly superseded_by: string | null;
  readonly run_id: string;
  readonly step_id: string;
}

export interface IdentityRow {
  readonly system_id: string;
  readonly identity_id: string;
  readonly external_id: string;
  readonly state: IdentityState;
}

export interface OperationRow {
  readonly run_id: string;
  readonly step_id: string;
  readonly action: string;
  readonly system_id: string;
  readonly identity_id: string;
  readonly credential_id: string | null;
  readonly outputs: string;
  readonly rolled_back_at: string | null;
}

export const CREDENTIAL_COLUMNS = [
  'credential_id',
  'system_id',
  'identity_id',
  'kind',
  'fingerprint',
  'issued_at',
  'expires_at',
  'revoked_at',
  'superseded_at',
  'grace_until',
  'superseded_by',
  'run_id',
  'step_id',
] as const;

/** A credential found by fingerprint, with its identity when that still exists. */
export interface FoundCredential {
  readonly credential: CredentialRow;
  readonly identity: IdentityRow | undefined;
}

export type FoundRow = CredentialRow & {
  i_external_id: string | null;
  i_state: IdentityState | null;
} & Record<string, unknown>;

/** The credential and its identity's columns in one row (add `WHERE c.fingerprint ...`). */
export const FOUND_SELECT = `SELECT ${CREDENTIAL_COLUMNS.map((c) => `c.${c}`).join(', ')}, i.external_id AS i_external_id, i.state AS i_state
       FROM token_credentials c
       LEFT JOIN token_identities i ON i.system_id = c.system_id AND i.identity_id = c.identity_id`;

export function foundOf(row: FoundRow): FoundCredential {
  const { i_external_id: externalId, i_state: state, ...credential } = row;
  return {
    credential,
    identity:
      state === null || externalId === null
        ? undefined
        : {
            system_id: credential.system_id,
            identity_id: credential.identity_id,
            external_id: externalId,
            state,
          },
  };
}

export class TokenStore {
  private tail: Promise<unknown> = Promise.resolve();

  constructor(readonly conn: WriteConnection) {}

  /** Runs `fn` alone, in one transaction; store failures become retryable CONNECTOR_UNAVAILABLE. */
  transaction<T>(fn: () => Promise<T>): Promise<T> {
    return this.serial(() => this.inTransaction(fn));
  }

  /** Runs `fn`, one statement (atomic by itself), alone like a transaction but without BEGIN/COMMIT. */
  statement<T>(fn: () => Promise<T>): Promise<T> {
    return this.serial(async () => {
      try {
        return await fn();
      } catch (e) {
        throw isCustosError(e) ? e : unavailable(e);
      }
    });
  }

  /** Runs `fn` when everything queued before it has settled: the connection is its alone meanwhile. */
  serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.tail.then(fn);
    this.tail = next.catch(() => undefined);
    return next;
  }

  /**
   * `fn`'s reads, for a caller that holds the connection (inside `serial`). SQLite: in one transaction,
   * so they share one snapshot. PostgreSQL: without one — at READ COMMITTED, the isolation Custos
   * runs at, each statement takes its own snapshot inside a transaction too, so BEGIN and COMMIT
   * would only add two round trips.
   */
  async reading<T>(fn: () => Promise<T>): Promise<T> {
    if (this.conn.dialect !== 'postgres') return this.inTransaction(fn);
    try {
      return await fn();
    } catch (e) {
      throw isCustosError(e) ? e : unavailable(e);
    }
  }

  /** `fn` in one transaction on the connection, for a caller that holds it (inside `serial`). */
  async inTransaction<T>(fn: () => Promise<T>): Promise<T> {
    try {
      await this.conn.begin();
    } catch (cause) {
      throw unavailable(cause);
    }
    try {
      const value = await fn();
      await this.conn.commit();
      return value;
    } catch (e) {
      await this.conn.rollback().catch(() => undefined);
      throw isCustosError(e) ? e : unavailable(e);
    }
  }

  async identity(system: string, identity: string): Promise<IdentityRow | undefined> {
    const rows = await this.conn.query<IdentityRow & Record<string, unknown>>(
      'SELECT system_id, identity_id, external_id, state FROM token_identities WHERE system_id = ? AND identity_id = ?',
      [system, identity],
    );
    return rows[0];
  }

  identities(system: string): Promise<IdentityRow[]> {
    return this.conn.query<IdentityRow & Record<string, unknown>>(
      'SELECT system_id, identity_id, external_id, state FROM token_identities WHERE system_id = ? ORDER BY identity_id',
      [system],
    );
  }

  async putIdentity(row: IdentityRow, now: string): Promise<void> {
    const changed = await this.conn.run(
      'UPDATE token_identities SET state = ?, external_id = ?, updated_at = ? WHERE system_id = ? AND identity_id = ?',
      [row.state, row.external_id, now, row.system_id, row.identity_id],
    );
    if (changed > 0) return;
    await this.conn.run(
      'INSERT INTO token_identities (system_id, identity_id, external_id, state, updated_at) VALUES (?, ?, ?, ?, ?)',
      [row.system_id, row.identity_id, row.external_id, row.state, now],
    );
  }

  /** Inserts an identity the caller has just read as absent (a concurrent creator fails the insert). */
  async insertIdentity(row: IdentityRow, now: string): Promise<void> {
    await this.conn.run(
      'INSERT INTO token_identities (system_id, identity_id, external_id, state, updated_at) VALUES (?, ?, ?, ?, ?)',
      [row.system_id, row.identity_id, row.external_id, row.state, now],
    );
  }

  async deleteIdentity(system: string, identity: string): Promise<void> {
    await this.conn.run('DELETE FROM token_identities WHERE system_id = ? AND identity_id = ?', [
      system,
      identity,
    ]);
  }

  credentials(system: string, identity: string): Promise<CredentialRow[]> {
    return this.conn.query<CredentialRow & Record<string, unknown>>(
      `SELECT ${CREDENTIAL_COLUMNS.join(', ')} FROM token_credentials WHERE system_id = ? AND identity_id = ? ORDER BY issued_at, credential_id`,
      [system, identity],
    );
  }

  /** The credential with this fingerprint and its identity (if the identity still exists), read together. */
  async credentialByFingerprint(fingerprint: string): Promise<FoundCredential | undefined> {
    const rows = await this.conn.query<FoundRow>(`${FOUND_SELECT} WHERE c.fingerprint = ?`, [fingerprint]);
    return rows[0] === undefined ? undefined : foundOf(rows[0]);
  }

  async insertCredential(row: CredentialRow): Promise<void> {
    const placeholders = CREDENTIAL_COLUMNS.map(() => '?').join(', ');
    await this.conn.run(
      `INSERT INTO token_credentials (${CREDENTIAL_COLUMNS.join(', ')}) VALUES (${placeholders})`,
      CREDENTIAL_COLUMNS.map((c) => row[c]),
    );
  }

  /** Sets the given mutable columns of one credential. */
  async updateCredential(
    id: string,
    set: Partial<
      Pick<CredentialRow, 'expires_at' | 'revoked_at' | 'superseded_at' | 'grace_until' | 'superseded_by'>
    >,
  ): Promise<void> {
    const entries = Object.entries(set) as [string, SqlParam][];
    if (entries.length === 0) return;
    await this.conn.run(
      `UPDATE token_credentials SET ${entries.map(([c]) => `${c} = ?`).join(', ')} WHERE credential_id = ?`,
      [...entries.map(([, v]) => v), id],
    );
  }

  async operation(runId: string, stepId: string): Promise<OperationRow | undefined> {
    const rows = await this.conn.query<OperationRow & Record<string, unknown>>(
      'SELECT run_id, step_id, action, system_id, identity_id, credential_id, outputs, rolled_back_at FROM token_operations WHERE run_id = ? AND step_id = ?',
      [runId, stepId],
    );
    return rows[0];
  }

  async insertOperation(op: Omit<OperationRow, 'rolled_back_at'>, now: string): Promise<void> {
    await this.conn.run(
      'INSERT INTO token_operations (run_id, step_id, action, system_id, identity_id, credential_id, outputs, applied_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      [op.run_id, op.step_id, op.action, op.system_id, op.identity_id, op.credential_id, op.outputs, now],
    );
  }

  async markRolledBack(runId: string, stepId: string, now: string): Promise<void> {
    await this.conn.run('UPDATE token_operations SET rolled_back_at = ? WHERE run_id = ? AND step_id = ?', [
      now,
      runId,
      stepId,
    ]);
  }
}

/** A store failure as the connector reports it: retryable, the target could not be reached. */
export function unavailable(cause: unknown): CustosError {
  return new CustosError('CONNECTOR_UNAVAILABLE', 'the token store could not be reached', {
    cause,
    retryable: true,
  });
}
