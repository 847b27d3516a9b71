/**
 * ACL users on a real Redis 7 server (TARGETS.md, Redis; docs/connectors/redis.md).
 *
 * - Passwords are generated here and sent only as `#<sha256>`; outputs carry fingerprints.
 * - `apply` is idempotent per (system, run, step): the ACL change, its journal entry on the server
 *   (`custos:journal`) and `ACL SAVE` run in one MULTI/EXEC (redis-apply.ts).
 * - Rotation may overlap: both passwords work until the window ends, then the old one is removed
 *   by a sweep — on every later apply/readPrior/rollback for the user, and by `endOverlaps`, which
 *   the engine's timer tick must call (redis-overlap.ts). Rotation, credential revocation,
 *   suspension and retirement end open sessions; so does the end of an overlap.
 * - Key, channel and command permissions come as `params.entitlements` through a strict grammar
 *   (redis-entitlements.ts), checked against the server's command table (redis-catalog.ts).
 * - Rollback is a compensation from the prior ACL user (redis-prior.ts), verified afterwards.
 * - Redis passwords do not expire: `expire` and `params.ttlSeconds` are refused.
 */
import { CustosError } from '../../core/errors.js';
import { OnceOk } from '../once-ok.js';
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
import {
  parseConnection,
  withAdmin,
  type AdminSession,
  type CommandLogger,
  type RedisConnection,
} from './redis-admin.js';
import { applyStep } from './redis-apply.js';
import { readCatalog, type Catalog } from './redis-catalog.js';
import { listManaged } from './redis-list.js';
import { sweepSystem, sweepUser } from './redis-overlap.js';
import { planStep } from './redis-plan.js';
import { readPriorState, restorePrior } from './redis-prior.js';
import { verifyStep } from './redis-verify.js';

export interface RedisDeps extends ConnectorDeps {
  /** Receives every admin command sent (for tests and audits: hashes appear, passwords never). */
  readonly onCommand?: CommandLogger;
}

const ACTIONS = [
  'create',
  'grant',
  'revoke',
  'rotate',
  'suspend',
  'enable',
  'retire',
  'end_sessions',
] as const;
const USER_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

interface SystemEntry {
  readonly settings: RedisConnection;
  saveChecked: boolean;
  readonly catalog: OnceOk<Catalog>;
}

export class RedisConnector implements Connector {
  private readonly systems = new Map<string, SystemEntry>();

  constructor(private readonly deps: RedisDeps) {}

  describe(): ConnectorDescription {
    return { type: 'redis', actions: ACTIONS, rollback: 'compensating', realLogin: true };
  }

  checkStep(step: Step): void {
    planStep(step, this.userOf(step, parseConnection(step.system)));
  }

  async plan(step: Step, authority: DelegatedAuthority): Promise<StepPlan> {
    await this.deps.authority.assert(authority, scopeOf(step));
    return planStep(step, this.userOf(step, parseConnection(step.system)));
  }

  async readPrior(step: Step, authority: DelegatedAuthority): Promise<PriorState> {
    return this.onStep(step, authority, 'readPrior', async (s, user) => {
      await sweepUser(s, user, this.deps.now());
      return readPriorState(s, user, this.deps.fingerprintKey);
    });
  }

  async apply(step: Step, authority: DelegatedAuthority): Promise<ApplyResult> {
    return this.onStep(step, authority, step.action, (s, user, entry) =>
      applyStep(s, step, user, {
        now: this.deps.now(),
        fingerprintKey: this.deps.fingerprintKey,
        catalog: () => this.catalog(entry, s),
      }),
    );
  }

  async verify(step: Step, authority: DelegatedAuthority, secret?: string): Promise<VerifyResult> {
    return this.onStep(step, authority, 'verify', (s, user, entry) =>
      verifyStep(
        s,
        step,
        user,
        {
          key: this.deps.fingerprintKey,
          now: this.deps.now(),
          settings: entry.settings,
          catalog: () => this.catalog(entry, s),
        },
        secret,
      ),
    );
  }

  async rollback(step: Step, authority: DelegatedAuthority, prior: PriorState): Promise<void> {
    await this.onStep(step, authority, 'rollback', async (s, user) => {
      await sweepUser(s, user, this.deps.now());
      await restorePrior(s, step, user, prior, { key: this.deps.fingerprintKey, now: this.deps.now() });
    });
  }

  async list(system: TargetSystem, authority: DelegatedAuthority): Promise<ListedAccount[]> {
    await this.deps.authority.assert(authority, listScope(system));
    return this.session(system, 'list', (s) => listManaged(s, system.id, this.deps.now()));
  }

  /** Ends the user's open sessions, as an `end_sessions` step; returns how many were found. */
  async endSessions(step: Step, authority: DelegatedAuthority): Promise<number> {
    return endSessionsAsStep(this, step, authority);
  }

  /**
   * Removes every old password of this system whose rotation overlap has ended, and ends those
   * users' sessions; returns how many passwords it removed. The engine's timer tick must call it
   * for every redis system, with an authority for `overlapScope(system)`.
   */
  async endOverlaps(system: TargetSystem, authority: DelegatedAuthority): Promise<number> {
    await this.deps.authority.assert(authority, overlapScope(system));
    return this.session(system, 'endOverlaps', (s) => sweepSystem(s, system.id, this.deps.now()));
  }

  /** Nothing stays open between calls (one admin connection per call); forgets cached state. */
  close(): Promise<void> {
    this.systems.clear();
    return Promise.resolve();
  }

  private async onStep<T>(
    step: Step,
    authority: DelegatedAuthority,
    what: string,
    body: (s: AdminSession, user: string, entry: SystemEntry) => Promise<T>,
  ): Promise<T> {
    await this.deps.authority.assert(authority, scopeOf(step));
    const entry = this.entry(step.system);
    const user = this.userOf(step, entry.settings);
    return this.session(step.system, what, (s) => body(s, user, entry));
  }

  private entry(system: TargetSystem): SystemEntry {
    let entry = this.systems.get(system.id);
    if (entry === undefined) {
      entry = { settings: parseConnection(system), saveChecked: false, catalog: new OnceOk() };
      this.systems.set(system.id, entry);
    }
    return entry;
  }

  /** One admin connection per call; the first one per system checks that ACL SAVE works. */
  private session<T>(system: TargetSystem, what: string, body: (s: AdminSession) => Promise<T>): Promise<T> {
    const entry = this.entry(system);
    const password = this.deps.resolveSecret(entry.settings.password);
    const log = this.deps.onCommand ?? (() => undefined);
    return withAdmin(entry.settings, password, log, what, async (s) => {
      if (!entry.saveChecked) {
        await checkAclFile(s);
        entry.saveChecked = true;
      }
      return body(s);
    });
  }

  private catalog(entry: SystemEntry, s: AdminSession): Promise<Catalog> {
    return entry.catalog.get(() => readCatalog(s));
  }

  /** Custos manages ordinary names only, never `default` or its own admin user. */
  private userOf(step: Step, settings: RedisConnection): string {
    const user = step.identity.externalId;
    if (!USER_NAME.test(user) || user === 'default' || user === settings.user) {
      throw new CustosError(
        'INPUT_INVALID',
        `${JSON.stringify(user.slice(0, 80))} is not a Redis user Custos may manage`,
      );
    }
    return user;
  }
}

/** Without an ACL file, ACL SAVE cannot persist a change: refuse before changing anything. */
async function checkAclFile(s: AdminSession): Promise<void> {
  try {
    await s.call('ACL', 'SAVE');
  } catch (error) {
    if (error instanceof Error && /not configured to use an ACL file/i.test(error.message)) {
      throw new CustosError(
        'CONNECTOR_REFUSED',
        'this Redis server has no ACL file (start it with --aclfile): ACL SAVE cannot persist changes',
        { cause: error },
      );
    }
    throw error;
  }
}
