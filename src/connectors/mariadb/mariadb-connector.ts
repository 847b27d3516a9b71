/**
 * Accounts on a real MariaDB server (DESIGN.md, Connectors; TARGETS.md, MariaDB), as
 * `'user'@'host'`: the identity's externalId is `user` or `user@host` (see mdb-sql.ts).
 *
 * - Passwords are generated here and sent only as mysql_native_password hashes
 *   (`IDENTIFIED BY PASSWORD '*…'`): the plaintext never reaches the server or its logs.
 * - Account statements commit implicitly: `apply` is made idempotent per (run, step) by a journal on
 *   the target (`custos.applied_steps`, written before and after the change, see mdb-journal.ts)
 *   and by deciding from the account's state when an attempt died in between; rollback is a
 *   compensation from the prior state (mdb-prior.ts).
 * - MariaDB has no dual passwords: `overlapSeconds > 0` is refused. Rotation, revocation, lock,
 *   expiry and retirement end the user's open sessions (KILL CONNECTION), which survive them all.
 * - Privileges come as `params.entitlements` (`SELECT ON app.*`, `SELECT, INSERT ON app.orders`),
 *   parsed by a strict, allow-listed grammar (mdb-entitlements.ts). `revoke` without entitlements
 *   revokes the credential (no password can match); with them, those privileges.
 * - Suspend is ACCOUNT LOCK, enable ACCOUNT UNLOCK, expire PASSWORD EXPIRE, retire DROP USER.
 */
import { CustosError } from '../../core/errors.js';
import { OnceOk } from '../once-ok.js';
import { listScope, scopeOf } from '../authority-check.js';
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
import { AdminPool, parseConnection, type StatementLogger } from './mdb-admin.js';
import { applyStep, type CrashPoint } from './mdb-apply.js';
import { ensureJournal } from './mdb-journal.js';
import { listManaged } from './mdb-list.js';
import { planStep } from './mdb-plan.js';
import { readPriorState, restorePrior } from './mdb-prior.js';
import { accountOf, type Account } from './mdb-sql.js';
import { verifyStep } from './mdb-verify.js';

export interface MariadbDeps extends ConnectorDeps {
  /** Lifetime of issued passwords when a step gives no `ttlSeconds` (default 90 days). */
  readonly defaultTtlSeconds?: number;
  /** Receives every statement sent (for tests and audits: hashes appear, passwords never). */
  readonly onStatement?: StatementLogger;
  /** Tests only: called where a crash would leave a step half-recorded; a throw stands for it. */
  readonly crashPoint?: (point: CrashPoint) => void;
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

interface Target {
  readonly pool: AdminPool;
  readonly ready: OnceOk<void>;
}

export class MariadbConnector implements Connector {
  private readonly targets = new Map<string, Target>();

  constructor(private readonly deps: MariadbDeps) {}

  describe(): ConnectorDescription {
    return { type: 'mariadb', actions: ACTIONS, rollback: 'compensating', realLogin: true };
  }

  checkStep(step: Step): void {
    planStep(step, this.accountOf(step));
  }

  async plan(step: Step, authority: DelegatedAuthority): Promise<StepPlan> {
    await this.deps.authority.assert(authority, scopeOf(step));
    return planStep(step, this.accountOf(step));
  }

  async readPrior(step: Step, authority: DelegatedAuthority): Promise<PriorState> {
    const { account, pool } = await this.acting(step, authority);
    return pool.session('readPrior', (sql) => readPriorState(sql, step, account, this.deps.fingerprintKey));
  }

  async apply(step: Step, authority: DelegatedAuthority): Promise<ApplyResult> {
    const { account, pool } = await this.acting(step, authority);
    return applyStep(pool, step, account, {
      now: this.deps.now(),
      fingerprintKey: this.deps.fingerprintKey,
      defaultTtlSeconds: this.deps.defaultTtlSeconds ?? 90 * 86_400,
      ...(this.deps.crashPoint === undefined ? {} : { crashPoint: this.deps.crashPoint }),
    });
  }

  async verify(step: Step, authority: DelegatedAuthority, secret?: string): Promise<VerifyResult> {
    const { account, pool } = await this.acting(step, authority);
    return verifyStep(pool, step, account, this.deps.fingerprintKey, secret);
  }

  async rollback(step: Step, authority: DelegatedAuthority, prior: PriorState): Promise<void> {
    const { account, pool } = await this.acting(step, authority);
    const { fingerprintKey, now } = this.deps;
    await pool.withLock(account, 'rollback', (sql) =>
      restorePrior(sql, step, account, prior, fingerprintKey, now()),
    );
  }

  async list(system: TargetSystem, authority: DelegatedAuthority): Promise<ListedAccount[]> {
    await this.deps.authority.assert(authority, listScope(system));
    const pool = await this.pool(system);
    return pool.session('list', (sql) => listManaged(sql, system.id, pool.settings.accountHost));
  }

  /** Ends the account's open sessions, as an `end_sessions` step; returns how many were ended. */
  async endSessions(step: Step, authority: DelegatedAuthority): Promise<number> {
    return endSessionsAsStep(this, step, authority);
  }

  /** Closes every admin pool. */
  async close(): Promise<void> {
    const targets = [...this.targets.values()];
    this.targets.clear();
    await Promise.all(targets.map((t) => t.pool.end()));
  }

  /** A step's authority checked first, then its account and its system's pool. */
  private async acting(
    step: Step,
    authority: DelegatedAuthority,
  ): Promise<{ account: Account; pool: AdminPool }> {
    await this.deps.authority.assert(authority, scopeOf(step));
    const account = this.accountOf(step);
    return { account, pool: await this.pool(step.system) };
  }

  private accountOf(step: Step): Account {
    const settings = parseConnection(step.system);
    const account = accountOf(step.identity.externalId, step.params, settings.accountHost);
    if (account.user === settings.user) {
      throw new CustosError('INPUT_INVALID', 'the connector does not manage its own admin account');
    }
    return account;
  }

  /** One pool per system; the journal is ensured once per pool (again after a failure). */
  private async pool(system: TargetSystem): Promise<AdminPool> {
    let target = this.targets.get(system.id);
    if (target === undefined) {
      const settings = parseConnection(system);
      const pool = new AdminPool(settings, this.deps.resolveSecret(settings.password), this.deps.onStatement);
      target = { pool, ready: new OnceOk() };
      this.targets.set(system.id, target);
    }
    const { pool } = target;
    await target.ready.get(() => pool.session('prepare journal', ensureJournal));
    return pool;
  }
}
