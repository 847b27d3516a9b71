/**
 * Users on a real RabbitMQ broker, through its management HTTP API (DESIGN.md, Connectors;
 * TARGETS.md, RabbitMQ; docs/connectors/rabbitmq.md).
 *
 * - Passwords are generated here and sent only as RabbitMQ's salted SHA-256 hash (rmq-hash.ts).
 * - `apply` is idempotent per (run, step) through a journal on the broker (rmq-journal.ts): written
 *   before the effect and completed after it, so a crash anywhere is settled by the next attempt,
 *   from this or a fresh instance. Attempts of one step in this process are serialised.
 * - One password hash per user and no expiry: a rotation overlap and `ttlSeconds` are refused.
 *   Rotation, revocation (of the password or of permissions, which open channels cache), suspension
 *   and retirement end the user's sessions.
 * - Permissions per vhost come as `params.entitlements` in a strict grammar (rmq-entitlements.ts).
 * - No transactions: rollback is a compensation from the prior state (rmq-restore.ts), verified.
 * - verify reads the user back and logs in for real over AMQP with the issued password.
 * - The admin needs the `administrator` tag (users, permissions, limits, global parameters, other
 *   users' connections).
 */
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
import { applyStep } from './rmq-apply.js';
import { ManagementApi, type RequestLogger } from './rmq-http.js';
import { journalName } from './rmq-journal.js';
import { listManaged } from './rmq-list.js';
import { assertUserName } from './rmq-names.js';
import { checkParams } from './rmq-params.js';
import { planStep } from './rmq-plan.js';
import { readPriorState } from './rmq-prior.js';
import { rollbackStep } from './rmq-rollback.js';
import { parseSettings } from './rmq-settings.js';
import { verifyStep } from './rmq-verify.js';

export interface RabbitmqDeps extends ConnectorDeps {
  /** Receives every management request before it is sent (hashes appear, passwords never). */
  readonly onRequest?: RequestLogger;
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

export class RabbitmqConnector implements Connector {
  private readonly apis = new Map<string, ManagementApi>();
  /** The attempt in flight per journal entry: attempts of one step run one after another. */
  private readonly inFlight = new Map<string, Promise<unknown>>();

  constructor(private readonly deps: RabbitmqDeps) {}

  describe(): ConnectorDescription {
    return { type: 'rabbitmq', actions: ACTIONS, rollback: 'compensating', realLogin: true };
  }

  checkStep(step: Step): void {
    this.planOf(step);
  }

  async plan(step: Step, authority: DelegatedAuthority): Promise<StepPlan> {
    await this.deps.authority.assert(authority, scopeOf(step));
    return this.planOf(step);
  }

  private planOf(step: Step): StepPlan {
    const user = assertUserName(step.identity.externalId);
    return planStep(step, user, checkParams(step), parseSettings(step.system).amqp.vhost);
  }

  async readPrior(step: Step, authority: DelegatedAuthority): Promise<PriorState> {
    await this.deps.authority.assert(authority, scopeOf(step));
    const user = assertUserName(step.identity.externalId);
    return readPriorState(this.api(step.system), user, this.deps.fingerprintKey);
  }

  async apply(step: Step, authority: DelegatedAuthority): Promise<ApplyResult> {
    await this.deps.authority.assert(authority, scopeOf(step));
    const user = assertUserName(step.identity.externalId);
    const params = checkParams(step);
    const api = this.api(step.system);
    const ctx = { user, params, fingerprintKey: this.deps.fingerprintKey, now: this.deps.now() };
    return this.serialised(step, () => applyStep(api, step, ctx));
  }

  async verify(step: Step, authority: DelegatedAuthority, secret?: string): Promise<VerifyResult> {
    await this.deps.authority.assert(authority, scopeOf(step));
    const user = assertUserName(step.identity.externalId);
    return verifyStep(this.api(step.system), step, user, this.deps.fingerprintKey, secret);
  }

  async rollback(step: Step, authority: DelegatedAuthority, prior: PriorState): Promise<void> {
    await this.deps.authority.assert(authority, scopeOf(step));
    const user = assertUserName(step.identity.externalId);
    const api = this.api(step.system);
    const { fingerprintKey, now } = this.deps;
    await this.serialised(step, () => rollbackStep(api, step, user, prior, fingerprintKey, now()));
  }

  async list(system: TargetSystem, authority: DelegatedAuthority): Promise<ListedAccount[]> {
    await this.deps.authority.assert(authority, listScope(system));
    return listManaged(this.api(system), system.id);
  }

  /** Ends the user's open sessions, as an `end_sessions` step; returns how many were ended. */
  async endSessions(step: Step, authority: DelegatedAuthority): Promise<number> {
    return endSessionsAsStep(this, step, authority);
  }

  /** Forgets the resolved admin passwords (fetch keeps no connection that needs closing). */
  close(): Promise<void> {
    this.apis.clear();
    return Promise.resolve();
  }

  private api(system: TargetSystem): ManagementApi {
    let api = this.apis.get(system.id);
    if (api === undefined) {
      const settings = parseSettings(system);
      api = new ManagementApi(settings, this.deps.resolveSecret(settings.password), this.deps.onRequest);
      this.apis.set(system.id, api);
    }
    return api;
  }

  private async serialised<T>(step: Step, body: () => Promise<T>): Promise<T> {
    const key = journalName(step);
    const before = this.inFlight.get(key) ?? Promise.resolve();
    const run = before.then(body, body);
    const settled = run.catch(() => undefined);
    this.inFlight.set(key, settled);
    try {
      return await run;
    } finally {
      if (this.inFlight.get(key) === settled) this.inFlight.delete(key);
    }
  }
}
