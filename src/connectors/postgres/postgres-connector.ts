/**
 * Roles on a real PostgreSQL server (DESIGN.md, Connectors; TARGETS.md, PostgreSQL).
 *
 * - Passwords are generated here and sent only as SCRAM-SHA-256 verifiers.
 * - `apply` is idempotent per (run, step): the role DDL and its row in the target's journal
 *   (`custos.applied_steps`, see pg-journal.ts) commit in one transaction.
 * - PostgreSQL has no dual passwords: a rotation cannot overlap; `overlapSeconds > 0` is refused.
 *   Rotation, revocation of the credential, suspension, expiry and retirement end open sessions.
 * - Privileges and role memberships come as `params.entitlements` (`SELECT ON TABLE public.orders`,
 *   `pg_read_all_data`), parsed by a strict, allow-listed grammar (pg-entitlements.ts).
 *   `revoke` without entitlements revokes the credential (PASSWORD NULL); with them, those.
 * - Rollback is a compensation from the prior state, committed as one transaction (apply has
 *   committed by then: the contract keeps no transaction open between apply and rollback); verify
 *   afterwards compares the role with that prior state.
 * - The admin must be a superuser: restoring a replaced password, and checking that the password
 *   is still the one a step set, read pg_authid.rolpassword, which no other role may read.
 */
import { listScope, scopeOf } from '../authority-check.js';
import { OnceOk } from '../once-ok.js';
import type { ConnectorDeps } from '../connector-deps.js';
import type {
  ApplyResult,
  Connector,
  ConnectorDescription,
  DelegatedAuthority,
  ListedAccount,
  PriorState,
  Step,
  StepPlan,
  TargetSystem,
  VerifyResult,
} from '../contract.js';
import { endSessionsAsStep } from '../end-sessions.js';
import { AdminPool, parseConnection, type StatementLogger } from './pg-admin.js';
import { applyStep } from './pg-apply.js';
import { planStep } from './pg-plan.js';
import { readPriorState, restorePrior } from './pg-prior.js';
import { listManaged } from './pg-list.js';
import { ensureJournal } from './pg-journal.js';
import { terminateSessions } from './pg-role.js';
import { assertRoleName } from './sql-escape.js';
import { verifyStep } from './pg-verify.js';

export interface PostgresDeps extends ConnectorDeps {
  /** VALID UNTIL of issued passwords when a step gives no `ttlSeconds` (default 90 days). */
  readonly defaultTtlSeconds?: number;
  /** Receives every statement sent (for tests and audits: verifiers appear, passwords never). */
  readonly onStatement?: StatementLogger;
}

const ACTIONS = [
  'create',
  'grant',
  'revoke',
  'rotate',
  'suspend',
  'enable',
  'expire',
  'retire',
  'end_sessions',
] as const;

export class PostgresConnector implements Connector {
  private readonly pools = new Map<string, { pool: AdminPool; ready: OnceOk<void> }>();

  constructor(private readonly deps: PostgresDeps) {}

  describe(): ConnectorDescription {
    return { type: 'postgres', actions: ACTIONS, rollback: 'compensating', realLogin: true };
  }

  checkStep(step: Step): void {
    planStep(step, assertRoleName(step.identity.externalId));
  }

  async plan(step: Step, authority: DelegatedAuthority): Promise<StepPlan> {
    await this.deps.authority.assert(authority, scopeOf(step));
    return planStep(step, assertRoleName(step.identity.externalId));
  }

  async readPrior(step: Step, authority: DelegatedAuthority): Promise<PriorState> {
    const { role, pool } = await this.acting(step, authority);
    return pool.transaction('readPrior', (sql) => readPriorState(sql, step, role, this.deps.fingerprintKey));
  }

  async apply(step: Step, authority: DelegatedAuthority): Promise<ApplyResult> {
    const { role, pool } = await this.acting(step, authority);
    return applyStep(pool, step, role, {
      now: this.deps.now(),
      fingerprintKey: this.deps.fingerprintKey,
      defaultTtlSeconds: this.deps.defaultTtlSeconds ?? 90 * 24 * 3600,
    });
  }

  async verify(step: Step, authority: DelegatedAuthority, secret?: string): Promise<VerifyResult> {
    const { role, pool } = await this.acting(step, authority);
    return verifyStep(pool, step, role, this.deps.fingerprintKey, this.deps.now(), secret);
  }

  async rollback(step: Step, authority: DelegatedAuthority, prior: PriorState): Promise<void> {
    const { role, pool } = await this.acting(step, authority);
    const key = this.deps.fingerprintKey;
    const oid = await pool.transaction('rollback', (sql) => restorePrior(sql, step, role, prior, key));
    if (oid !== undefined) await pool.transaction('end sessions', (sql) => terminateSessions(sql, oid));
  }

  async list(system: TargetSystem, authority: DelegatedAuthority): Promise<ListedAccount[]> {
    await this.deps.authority.assert(authority, listScope(system));
    const pool = await this.pool(system);
    return pool.transaction('list', (sql) => listManaged(sql, system.id));
  }

  /** Ends the role's open sessions, as an `end_sessions` step; returns how many were ended. */
  async endSessions(step: Step, authority: DelegatedAuthority): Promise<number> {
    return endSessionsAsStep(this, step, authority);
  }

  /** Closes every admin pool. */
  async close(): Promise<void> {
    const pools = [...this.pools.values()];
    this.pools.clear();
    await Promise.all(pools.map((p) => p.pool.end()));
  }

  /** A step's authority checked first, then its role and its system's pool. */
  private async acting(
    step: Step,
    authority: DelegatedAuthority,
  ): Promise<{ role: string; pool: AdminPool }> {
    await this.deps.authority.assert(authority, scopeOf(step));
    const role = assertRoleName(step.identity.externalId);
    return { role, pool: await this.pool(step.system) };
  }

  /** One pool per system; the journal is ensured once per pool (again after a failure). */
  private async pool(system: TargetSystem): Promise<AdminPool> {
    let entry = this.pools.get(system.id);
    if (entry === undefined) {
      const settings = parseConnection(system);
      const pool = new AdminPool(settings, this.deps.resolveSecret(settings.password), this.deps.onStatement);
      entry = { pool, ready: new OnceOk() };
      this.pools.set(system.id, entry);
    }
    const { pool } = entry;
    await entry.ready.get(() => pool.transaction('prepare journal', ensureJournal));
    return pool;
  }
}
