/**
 * The idempotency journal, kept on the target in `custos.applied_steps`, created on first use.
 *
 * Why on the target: role DDL is transactional, so the effect and its journal row commit in one
 * transaction — a crash leaves either both or neither, and a repeated (run, step) finds the row and
 * returns `already_applied` with the recorded outputs. State alone cannot tell "this rotate already
 * happened" from "rotate again", since every rotation sets a random password.
 *
 * The row also keeps the SCRAM verifier the step replaced (`prior_verifier`), so that a rollback
 * can restore the old password without the verifier ever leaving the target (prior states travel
 * to the run engine and may be recorded; verifiers must not), and the verifier the step set
 * (`set_verifier`), so that verify notices a password reset behind Custos's back even when the
 * caller no longer holds the secret. A rollback stores the prior state it restored
 * (`restored_prior`: fingerprints only), so that verify compares the role with it afterwards.
 * The schema is closed to PUBLIC: the table is as sensitive as pg_authid, and only the admin role
 * reads it; its verifiers are compared there and never returned.
 */
import type { JsonValue } from '../../core/canonical-json.js';
import { CustosError } from '../../core/errors.js';
import type { Sql } from './pg-admin.js';

export interface JournalRow {
  readonly run_id: string;
  readonly step_id: string;
  readonly action: string;
  readonly role_name: string;
  readonly outputs: string;
  readonly prior_verifier: string | null;
  /** Null for steps that set no password, and for rows written before the column existed. */
  readonly set_verifier: string | null;
  readonly applied_at: Date;
  readonly rolled_back_at: Date | null;
  /** The prior state (JSON) the last rollback restored. */
  readonly restored_prior: string | null;
}

const DDL = [
  'CREATE SCHEMA IF NOT EXISTS custos',
  'REVOKE ALL ON SCHEMA custos FROM PUBLIC',
  `CREATE TABLE IF NOT EXISTS custos.applied_steps (
     run_id text NOT NULL,
     step_id text NOT NULL,
     action text NOT NULL,
     role_name text NOT NULL,
     outputs text NOT NULL,
     prior_verifier text,
     applied_at timestamptz NOT NULL DEFAULT now(),
     rolled_back_at timestamptz,
     set_verifier text,
     restored_prior text,
     PRIMARY KEY (run_id, step_id))`,
];
/** Columns added since the first journals (ALTER TABLE locks the table: only when missing). */
const ADDED = ['set_verifier', 'restored_prior'];

/** Creates the journal if absent (serialised by an advisory lock) and checks quoting is safe. */
export async function ensureJournal(sql: Sql): Promise<void> {
  const [scs] = await sql.query<{ standard_conforming_strings: string }>('SHOW standard_conforming_strings');
  if (scs?.standard_conforming_strings !== 'on') {
    throw new CustosError('CONNECTOR_REFUSED', 'standard_conforming_strings must be on to quote literals');
  }
  await sql.query(`SELECT pg_advisory_xact_lock(hashtextextended('custos.applied_steps', 0))`);
  for (const statement of DDL) await sql.query(statement);
  const present = await sql.query<{ attname: string }>(
    `SELECT attname FROM pg_attribute WHERE attrelid = 'custos.applied_steps'::regclass AND NOT attisdropped`,
  );
  const names = new Set(present.map((c) => c.attname));
  for (const column of ADDED.filter((c) => !names.has(c))) {
    await sql.query(`ALTER TABLE custos.applied_steps ADD COLUMN ${column} text`);
  }
}

/** Serialises attempts of one (run, step) until the transaction ends. */
export async function lockStep(sql: Sql, runId: string, stepId: string): Promise<void> {
  await sql.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [JSON.stringify([runId, stepId])]);
}

export async function journalRow(sql: Sql, runId: string, stepId: string): Promise<JournalRow | undefined> {
  const rows = await sql.query<JournalRow>(
    'SELECT * FROM custos.applied_steps WHERE run_id = $1 AND step_id = $2',
    [runId, stepId],
  );
  return rows[0];
}

export async function insertJournal(
  sql: Sql,
  row: Pick<JournalRow, 'run_id' | 'step_id' | 'action' | 'role_name' | 'prior_verifier' | 'set_verifier'> & {
    outputs: Record<string, JsonValue>;
  },
): Promise<void> {
  await sql.query(
    `INSERT INTO custos.applied_steps
       (run_id, step_id, action, role_name, outputs, prior_verifier, set_verifier)
     VALUES ($1, $2, $3, $4, $5, $6, $7)`,
    [
      row.run_id,
      row.step_id,
      row.action,
      row.role_name,
      JSON.stringify(row.outputs),
      row.prior_verifier,
      row.set_verifier,
    ],
  );
}

/** Marks the step rolled back to `prior` (a prior state: fingerprints, never verifiers). */
export async function markRolledBack(
  sql: Sql,
  runId: string,
  stepId: string,
  prior: JsonValue,
): Promise<void> {
  await sql.query(
    `UPDATE custos.applied_steps SET rolled_back_at = now(), restored_prior = $3
      WHERE run_id = $1 AND step_id = $2`,
    [runId, stepId, JSON.stringify(prior)],
  );
}
