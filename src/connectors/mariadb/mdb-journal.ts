/**
 * The idempotency journal, kept on the target in the `custos` database, created on first use:
 * `custos.applied_steps` (one row per system, run and step) and `custos.accounts` (which accounts Custos
 * manages, for which system and identity — MariaDB accounts carry no comment to mark them).
 *
 * Account statements commit implicitly, so a step's change and its row cannot commit together as
 * on PostgreSQL. The row is therefore written twice, around the change: `pending` before it (with
 * the outputs, the hash the step replaces and the hash it sets), `applied` after it (and after its
 * sessions ended). A repeat finds `applied` and answers already_applied. A repeat that finds
 * `pending` — the earlier attempt died between the two writes — decides from the target whether
 * the change took place (mdb-recover.ts): the account holds the hash the step set, is locked, is
 * gone, …; if so it finishes the bookkeeping and answers already_applied, otherwise it applies the
 * step afresh. The per-account lock (mdb-admin.ts) keeps two attempts from interleaving.
 *
 * The hashes let a rollback restore the old password, and verify notice a password reset behind
 * Custos's back, without a hash ever leaving the target (prior states carry fingerprints). The
 * database is as sensitive as mysql.global_priv: grant it to nobody but the admin.
 */
import type { JsonValue } from '../../core/canonical-json.js';
import { CustosError } from '../../core/errors.js';
import type { Sql } from './mdb-admin.js';
import type { Account } from './mdb-sql.js';

export interface JournalRow {
  readonly system_id: string;
  readonly run_id: string;
  readonly step_id: string;
  readonly action: string;
  readonly user_name: string;
  readonly user_host: string;
  readonly status: 'pending' | 'applied';
  /** JSON of the step's outputs (no secrets). */
  readonly outputs: string;
  readonly prior_hash: string | null;
  readonly set_hash: string | null;
  /** Connection id boundary and server start of the sessions the step ended (mdb-sessions.ts). */
  readonly session_boundary: number | null;
  readonly server_started: number | null;
  /** Epoch milliseconds (the connector's clock). */
  readonly applied_at: number;
  readonly rolled_back_at: number | null;
  /** The prior state (JSON, fingerprints only) the last rollback restored. */
  readonly restored_prior: string | null;
}

const TABLE_OPTIONS = 'ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin';
const DDL = [
  'CREATE DATABASE IF NOT EXISTS custos',
  `CREATE TABLE IF NOT EXISTS custos.applied_steps (
     system_id VARCHAR(191) NOT NULL,
     run_id VARCHAR(191) NOT NULL,
     step_id VARCHAR(191) NOT NULL,
     action VARCHAR(32) NOT NULL,
     user_name VARCHAR(80) NOT NULL,
     user_host VARCHAR(255) NOT NULL,
     status VARCHAR(16) NOT NULL,
     outputs TEXT NOT NULL,
     prior_hash VARCHAR(255),
     set_hash VARCHAR(255),
     session_boundary BIGINT,
     server_started BIGINT,
     applied_at BIGINT NOT NULL,
     rolled_back_at BIGINT,
     restored_prior TEXT,
     PRIMARY KEY (system_id, run_id, step_id)) ${TABLE_OPTIONS}`,
  `CREATE TABLE IF NOT EXISTS custos.accounts (
     user_name VARCHAR(80) NOT NULL,
     user_host VARCHAR(255) NOT NULL,
     system_id VARCHAR(191) NOT NULL,
     identity_id VARCHAR(191) NOT NULL,
     PRIMARY KEY (user_name, user_host)) ${TABLE_OPTIONS}`,
];

export async function ensureJournal(sql: Sql): Promise<void> {
  for (const statement of DDL) await sql.run(statement);
}

/** The key of a step's row: the system too, since several systems may name one server. */
export interface StepKey {
  readonly systemId: string;
  readonly runId: string;
  readonly stepId: string;
}

export function keyOf(step: { system: { id: string }; runId: string; stepId: string }): StepKey {
  return { systemId: step.system.id, runId: step.runId, stepId: step.stepId };
}

const WHERE_KEY = 'system_id = ? AND run_id = ? AND step_id = ?';
const keyValues = (k: StepKey) => [k.systemId, k.runId, k.stepId];

export async function journalRow(sql: Sql, key: StepKey): Promise<JournalRow | undefined> {
  const [row] = await sql.rows<RawRow>(
    `SELECT * FROM custos.applied_steps WHERE ${WHERE_KEY}`,
    keyValues(key),
  );
  return row === undefined ? undefined : normalise(row);
}

type Big = number | string;
type RawRow = Omit<JournalRow, 'session_boundary' | 'server_started' | 'applied_at' | 'rolled_back_at'> & {
  session_boundary: Big | null;
  server_started: Big | null;
  applied_at: Big;
  rolled_back_at: Big | null;
};

/** BIGINT columns may come back as strings: numbers (or null) from here on. */
function normalise(row: RawRow): JournalRow {
  const num = (v: Big | null) => (v === null ? null : Number(v));
  return {
    ...row,
    session_boundary: num(row.session_boundary),
    server_started: num(row.server_started),
    applied_at: Number(row.applied_at),
    rolled_back_at: num(row.rolled_back_at),
  };
}

export interface Intent {
  readonly key: StepKey;
  readonly action: string;
  readonly account: Account;
  readonly outputs: Readonly<Record<string, JsonValue>>;
  readonly priorHash: string | null;
  readonly setHash: string | null;
  readonly at: number;
}

/** Writes (or, for a pending row whose change never happened, rewrites) the step's intent. */
export async function writeIntent(sql: Sql, intent: Intent): Promise<void> {
  await sql.rows(
    `INSERT INTO custos.applied_steps
       (system_id, run_id, step_id, action, user_name, user_host, status, outputs, prior_hash, set_hash,
        applied_at)
     VALUES (?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?, ?)
     ON DUPLICATE KEY UPDATE outputs = VALUES(outputs), prior_hash = VALUES(prior_hash),
       set_hash = VALUES(set_hash), applied_at = VALUES(applied_at)`,
    [
      ...keyValues(intent.key),
      intent.action,
      intent.account.user,
      intent.account.host,
      JSON.stringify(intent.outputs),
      intent.priorHash,
      intent.setHash,
      intent.at,
    ],
  );
}

export interface Completion {
  readonly outputs: Readonly<Record<string, JsonValue>>;
  readonly boundary: number | null;
  readonly serverStarted: number | null;
}

export async function markApplied(sql: Sql, key: StepKey, done: Completion): Promise<void> {
  await sql.rows(
    `UPDATE custos.applied_steps SET status = 'applied', outputs = ?, session_boundary = ?, server_started = ?
      WHERE ${WHERE_KEY}`,
    [JSON.stringify(done.outputs), done.boundary, done.serverStarted, ...keyValues(key)],
  );
}

/** Marks the step rolled back to `prior` (a prior state: fingerprints, never hashes). */
export async function markRolledBack(sql: Sql, key: StepKey, prior: JsonValue, at: number): Promise<void> {
  await sql.rows(
    `UPDATE custos.applied_steps SET rolled_back_at = ?, restored_prior = ? WHERE ${WHERE_KEY}`,
    [at, JSON.stringify(prior), ...keyValues(key)],
  );
}

export interface Managed {
  readonly system: string;
  readonly identity: string;
}

export async function managedBy(sql: Sql, account: Account): Promise<Managed | undefined> {
  const [row] = await sql.rows<{ system_id: string; identity_id: string }>(
    'SELECT system_id, identity_id FROM custos.accounts WHERE user_name = ? AND user_host = ?',
    [account.user, account.host],
  );
  return row === undefined ? undefined : { system: row.system_id, identity: row.identity_id };
}

/** Records that Custos manages the account for (system, identity); refuses another owner's. */
export async function claimAccount(sql: Sql, account: Account, owner: Managed): Promise<void> {
  const current = await managedBy(sql, account);
  if (current === undefined) {
    await sql.rows(
      'INSERT INTO custos.accounts (user_name, user_host, system_id, identity_id) VALUES (?, ?, ?, ?)',
      [account.user, account.host, owner.system, owner.identity],
    );
  } else if (current.system !== owner.system || current.identity !== owner.identity) {
    throw new CustosError('TARGET_STATE_MISMATCH', 'the account is managed by Custos for another identity');
  }
}

export async function releaseAccount(sql: Sql, account: Account): Promise<void> {
  await sql.rows('DELETE FROM custos.accounts WHERE user_name = ? AND user_host = ?', [
    account.user,
    account.host,
  ]);
}

/** The accounts claimed for the system (some may since have been dropped by hand). */
export async function listClaimed(sql: Sql, systemId: string): Promise<(Account & Managed)[]> {
  const rows = await sql.rows<{ user_name: string; user_host: string; identity_id: string }>(
    `SELECT user_name, user_host, identity_id FROM custos.accounts
      WHERE system_id = ? ORDER BY user_name, user_host`,
    [systemId],
  );
  return rows.map((r) => ({
    user: r.user_name,
    host: r.user_host,
    system: systemId,
    identity: r.identity_id,
  }));
}
