/**
 * Service accounts on a real OpenLDAP directory (DESIGN.md, Connectors; TARGETS.md, OpenLDAP).
 *
 * - Accounts are `applicationProcess` + `simpleSecurityObject` entries `cn=<externalId>,<baseDn>`,
 *   marked as Custos-managed; entitlements are memberships of groupOfNames entries directly under
 *   `groupsDn`, named by cn (a closed grammar, ldap-entitlements.ts).
 * - Passwords are generated here and sent only as `{SSHA}` values (never the password-modify
 *   extended operation, which carries the plaintext to the server).
 * - Rotation may overlap: userPassword holds the old and new values until the window's end, which
 *   is journaled on the directory and swept (ldap-overlap.ts; `endOverlaps` for the timer tick).
 * - Suspend is a ppolicy lock (`pwdAccountLockedTime: 000001010000Z`), expire a past `pwdEndTime`.
 * - Sessions: slapd checks passwords and locks at bind time only and has no operation to end
 *   another client's connection. `endSessions` ends none and says so (0); see the docs for the
 *   ACL that cuts a suspended or deleted account's open connections off at their next request.
 * - `apply` is idempotent per (run, step) through a journal on the directory (ldap-journal.ts);
 *   rollback is a compensation from the prior state, verified afterwards.
 */
import { CustosError } from '../../core/errors.js';
import { listScope, overlapScope, scopeOf } from '../authority-check.js';
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
import { withAdmin, type Ldap, type OperationLogger } from './ldap-admin.js';
import { applyStep } from './ldap-apply.js';
import { assertAccountName } from './ldap-dn.js';
import { ensureJournal } from './ldap-journal.js';
import { listManaged } from './ldap-list.js';
import { sweepOverlaps } from './ldap-overlap.js';
import { parseParams, type StepParams } from './ldap-params.js';
import { planStep } from './ldap-plan.js';
import { parsePrior, readPriorState, restorePrior } from './ldap-prior.js';
import { accountDn, parseSettings, type LdapSettings } from './ldap-settings.js';
import { verifyStep } from './ldap-verify.js';

export interface LdapDeps extends ConnectorDeps {
  /** pwdEndTime of issued passwords when a step gives no `ttlSeconds` (default 90 days). */
  readonly defaultTtlSeconds?: number;
  /** How long an attempt's journaled intent holds off other attempts of the step (default 30 s). */
  readonly leaseSeconds?: number;
  /** How long (real time) a repeat waits for a live attempt of the same step (default 5 s). */
  readonly leaseWaitMs?: number;
  /** Receives every request sent (for tests and audits: `{SSHA}` values appear, passwords never). */
  readonly onOperation?: OperationLogger;
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

interface Prepared {
  readonly settings: LdapSettings;
  readonly account: string;
  readonly params: StepParams;
}

export class LdapConnector implements Connector {
  /** The journal's container, ensured once per directory and journal DN. */
  private readonly journals = new Map<string, Promise<void>>();

  constructor(private readonly deps: LdapDeps) {}

  describe(): ConnectorDescription {
    return { type: 'ldap', actions: ACTIONS, rollback: 'compensating', realLogin: true };
  }

  checkStep(step: Step): void {
    const { account, params } = this.prepared(step);
    planStep(step, account, params);
  }

  async plan(step: Step, authority: DelegatedAuthority): Promise<StepPlan> {
    const { account, params } = await this.prepare(step, authority);
    return planStep(step, account, params);
  }

  async readPrior(step: Step, authority: DelegatedAuthority): Promise<PriorState> {
    const { settings, account, params } = await this.prepare(step, authority);
    return this.run(settings, 'readPrior', async (ldap) => {
      // An old password whose window has ended is removed first, never captured as "prior".
      await sweepOverlaps(ldap, settings, this.deps.fingerprintKey, this.deps.now(), account);
      return readPriorState(ldap, account, params.groups ?? [], this.deps.fingerprintKey);
    });
  }

  async apply(step: Step, authority: DelegatedAuthority): Promise<ApplyResult> {
    const { settings, account, params } = await this.prepare(step, authority);
    const ctx = {
      step,
      settings,
      account,
      params,
      now: this.deps.now(),
      key: this.deps.fingerprintKey,
      defaultTtlSeconds: this.deps.defaultTtlSeconds ?? 90 * 24 * 3600,
      leaseMs: (this.deps.leaseSeconds ?? 30) * 1000,
      waitMs: this.deps.leaseWaitMs ?? 5000,
    };
    return this.run(settings, `apply ${step.action}`, (ldap) => applyStep(ldap, ctx));
  }

  async verify(step: Step, authority: DelegatedAuthority, secret?: string): Promise<VerifyResult> {
    const { settings, account, params } = await this.prepare(step, authority);
    const ctx = {
      step,
      settings,
      account,
      groups: params.groups ?? [],
      key: this.deps.fingerprintKey,
      now: this.deps.now(),
    };
    return this.run(settings, 'verify', (ldap) => verifyStep(ldap, ctx, secret));
  }

  async rollback(step: Step, authority: DelegatedAuthority, prior: PriorState): Promise<void> {
    const { settings, account, params } = await this.prepare(step, authority);
    const parsed = parsePrior(prior);
    const ctx = {
      step,
      settings,
      account,
      groups: params.groups ?? [],
      key: this.deps.fingerprintKey,
      now: this.deps.now(),
    };
    await this.run(settings, 'rollback', async (ldap) => {
      await sweepOverlaps(ldap, settings, ctx.key, ctx.now, account);
      await restorePrior(ldap, ctx, parsed);
    });
  }

  async list(system: TargetSystem, authority: DelegatedAuthority): Promise<ListedAccount[]> {
    await this.deps.authority.assert(authority, listScope(system));
    const settings = this.settingsOf(system);
    return this.run(settings, 'list', (ldap) => listManaged(ldap, settings, system.id, this.deps.now()));
  }

  /**
   * LDAP keeps no sessions Custos can end (see the class comment): runs an `end_sessions` step,
   * which changes nothing and records that 0 were ended.
   */
  async endSessions(step: Step, authority: DelegatedAuthority): Promise<number> {
    return endSessionsAsStep(this, step, authority);
  }

  /**
   * Removes the old password values of every rotation on `system` whose overlap window has ended;
   * returns how many values were removed. For the engine's timer tick (authority: overlapScope).
   */
  async endOverlaps(system: TargetSystem, authority: DelegatedAuthority): Promise<number> {
    await this.deps.authority.assert(authority, overlapScope(system));
    const settings = this.settingsOf(system);
    return this.run(settings, 'sweep overlaps', (ldap) =>
      sweepOverlaps(ldap, settings, this.deps.fingerprintKey, this.deps.now()),
    );
  }

  /** Nothing stays open between calls (one connection per call); kept for the composition root. */
  close(): Promise<void> {
    this.journals.clear();
    return Promise.resolve();
  }

  /** Authority first, then everything a request can get wrong, before any connection is made. */
  private async prepare(step: Step, authority: DelegatedAuthority): Promise<Prepared> {
    await this.deps.authority.assert(authority, scopeOf(step));
    return this.prepared(step);
  }

  /** The step's settings, account and params, from the step alone. */
  private prepared(step: Step): Prepared {
    const settings = this.settingsOf(step.system);
    const account = accountDn(settings, assertAccountName(step.identity.externalId));
    return { settings, account, params: parseParams(step, settings.groupsDn) };
  }

  private adminPassword(settings: LdapSettings): string {
    try {
      return this.deps.resolveSecret(settings.password);
    } catch (error) {
      throw new CustosError(
        'CONFIG_INVALID',
        'cannot resolve the admin password reference (connection.password)',
        {
          cause: error,
        },
      );
    }
  }

  /** Parsed on every call (cheap): an edited inventory connection takes effect at once. */
  private settingsOf(system: TargetSystem): LdapSettings {
    return parseSettings(system);
  }

  /** One bound admin connection for `body`; the journal's container is ensured once per directory. */
  private async run<T>(settings: LdapSettings, what: string, body: (ldap: Ldap) => Promise<T>): Promise<T> {
    const log = this.deps.onOperation ?? (() => undefined);
    const password = this.adminPassword(settings);
    const where = `${settings.url} ${settings.journalDn}`;
    return withAdmin(settings, password, what, log, async (ldap) => {
      let ready = this.journals.get(where);
      if (ready === undefined) {
        ready = ensureJournal(ldap, settings).catch((error: unknown) => {
          this.journals.delete(where);
          throw error;
        });
        this.journals.set(where, ready);
      }
      await ready;
      return body(ldap);
    });
  }
}
