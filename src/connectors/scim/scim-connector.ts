/**
 * Users on any SCIM 2.0 service (RFC 7643/7644 over `fetch`; DESIGN.md, Connectors; TARGETS.md,
 * SCIM), so that Custos can provision into SaaS applications that speak SCIM.
 *
 * - Passwords are generated here (node:crypto) and — unlike every other connector — reach the
 *   service in the clear: SCIM's `password` is write-only and accepts no pre-hashed value. They
 *   travel only in the request body, over https (http is refused unless the system allows it for
 *   a loopback test), never in a URL, a log line, an error, an output or the journal.
 * - `apply` is idempotent per (run, step) through a journal kept on the user itself, in a Custos
 *   schema extension, written in the same atomic request as the change (scim-journal.ts).
 * - One password per user: no rotation overlap (refused). No password expiry (ttlSeconds refused).
 *   No session API: endSessions ends none and says 0 — the service decides what a password change
 *   or deactivation does to open sessions.
 * - Entitlements are group memberships (`group:<displayName>`), changed with PATCH on the group.
 * - Rollback is compensation from the prior state; a replaced password and a deleted user cannot
 *   be restored, and their rollback is refused.
 * - Verify reads back and, with a `loginUrl` configured, logs in for real; `realLogin` says false
 *   because it depends on each system's configuration.
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
import { applyStep } from './scim-apply.js';
import { parseConnection } from './scim-connection.js';
import { assertParams, type StepContext } from './scim-context.js';
import { entitlementsOf } from './scim-entitlements.js';
import type { RequestLogger } from './scim-http.js';
import { listManaged } from './scim-list.js';
import { assertUserName } from './scim-names.js';
import { planStep } from './scim-plan.js';
import { parsePrior, readPriorState, restorePrior, type Prior } from './scim-prior.js';
import { ServicePool } from './scim-pool.js';
import { verifyStep } from './scim-verify.js';

export interface ScimDeps extends ConnectorDeps {
  /** Receives every request sent, passwords redacted (for tests and audits). */
  readonly onRequest?: RequestLogger;
  /** The longest Retry-After honoured by waiting (default 5 s); longer ones fail at once, retryable. */
  readonly maxRetryWaitSeconds?: number;
}

const REMEMBERED = 1000;
const ACTIONS = ['create', 'grant', 'revoke', 'rotate', 'suspend', 'enable', 'retire'] as const;

export class ScimConnector implements Connector {
  private readonly services: ServicePool;
  /** Rollbacks that left no user (and so no journal) behind, for the verify that follows them. */
  private readonly restored = new Map<string, Prior>();

  constructor(private readonly deps: ScimDeps) {
    this.services = new ServicePool({
      resolveSecret: deps.resolveSecret,
      now: deps.now,
      maxRetryWaitMs: (deps.maxRetryWaitSeconds ?? 5) * 1000,
      ...(deps.onRequest === undefined ? {} : { log: deps.onRequest }),
    });
  }

  describe(): ConnectorDescription {
    return { type: 'scim', actions: ACTIONS, rollback: 'compensating', realLogin: false };
  }

  checkStep(step: Step): void {
    this.planOf(step);
  }

  async plan(step: Step, authority: DelegatedAuthority): Promise<StepPlan> {
    await this.deps.authority.assert(authority, scopeOf(step));
    return this.planOf(step);
  }

  private planOf(step: Step): StepPlan {
    const conn = parseConnection(step.system);
    assertParams(step);
    return planStep(step, assertUserName(step.identity.externalId), entitlementsOf(step.params, conn.groups));
  }

  async readPrior(step: Step, authority: DelegatedAuthority): Promise<PriorState> {
    await this.deps.authority.assert(authority, scopeOf(step));
    return readPriorState(await this.context(step));
  }

  async apply(step: Step, authority: DelegatedAuthority): Promise<ApplyResult> {
    await this.deps.authority.assert(authority, scopeOf(step));
    assertParams(step);
    return applyStep(await this.context(step));
  }

  async verify(step: Step, authority: DelegatedAuthority, secret?: string): Promise<VerifyResult> {
    await this.deps.authority.assert(authority, scopeOf(step));
    const ctx = await this.context(step);
    return verifyStep(ctx, parseConnection(step.system), this.restored.get(stepKey(step)), secret);
  }

  async rollback(step: Step, authority: DelegatedAuthority, prior: PriorState): Promise<void> {
    await this.deps.authority.assert(authority, scopeOf(step));
    const parsed = parsePrior(prior);
    const ctx = await this.context(step);
    if ((await restorePrior(ctx, parsed)) !== 'absent') return;
    this.restored.set(stepKey(step), parsed);
    // Only the verify right after a rollback needs it: keep the newest, bounded.
    for (const key of this.restored.keys()) {
      if (this.restored.size <= REMEMBERED) break;
      this.restored.delete(key);
    }
  }

  async list(system: TargetSystem, authority: DelegatedAuthority): Promise<ListedAccount[]> {
    await this.deps.authority.assert(authority, listScope(system));
    const { client, caps } = await this.services.get(system);
    return listManaged(client, caps.pageSize, system.id);
  }

  /** SCIM has no session API: nothing can be ended from here, and 0 says so. */
  async endSessions(step: Step, authority: DelegatedAuthority): Promise<number> {
    await this.deps.authority.assert(authority, scopeOf({ ...step, action: 'end_sessions' }));
    return 0;
  }

  /** Forgets clients and capabilities (fetch keeps no connection of ours open). */
  close(): Promise<void> {
    this.services.clear();
    this.restored.clear();
    return Promise.resolve();
  }

  private async context(step: Step): Promise<StepContext> {
    const conn = parseConnection(step.system);
    const userName = assertUserName(step.identity.externalId);
    const groups = entitlementsOf(step.params, conn.groups);
    const { client, caps } = await this.services.get(step.system);
    return { client, caps, step, userName, groups, now: this.deps.now(), key: this.deps.fingerprintKey };
  }
}

function stepKey(step: Step): string {
  return JSON.stringify([step.system.id, step.identity.id, step.runId, step.stepId]);
}
