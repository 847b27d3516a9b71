/**
 * Custos's built-in issuer of API keys and short-lived tokens for non-human identities: a target
 * system that needs no server, so the whole flow runs on a fresh machine.
 *
 * `apply` is idempotent per (run, step): the effect and its operation row commit together, and a
 * repeated step returns `already_applied` with the recorded outputs. The secret is returned only by
 * the first apply; a repeat cannot return it again (only its fingerprint is stored).
 *
 * Give it its own write connection (not the ledger writer's): it opens its own transactions. Calls
 * that arrive while the connection is busy are handled together, one transaction for many steps
 * (token-batch.ts); each caller still gets its own result or error.
 */
import type { JSONWebKeySet } from 'jose';
import type { FingerprintKey } from '../../ledger/secrets.js';
import type { WriteConnection } from '../../store/sql.js';
import { listScope, scopeOf, type AuthorityCheck, type AuthorityScope } from '../authority-check.js';
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
import { CustosError, isCustosError } from '../../core/errors.js';
import { applyMany } from './token-apply.js';
import { checkParams } from './token-effects.js';
import { Coalescer, fulfilled } from './token-batch.js';
import { pairKey } from '../../store/multi-row.js';
import { readPriorStates, restorePrior } from './token-prior.js';
import type { TokenSigningKey } from './token-secrets.js';
import { verifyPresented, type PresentedResult } from './token-status.js';
import { TokenStore, unavailable } from './token-store.js';
import { verifyMany } from './token-verify.js';

export interface TokensDeps {
  readonly conn: WriteConnection;
  readonly authority: AuthorityCheck;
  readonly fingerprintKey: FingerprintKey;
  readonly signingKey: TokenSigningKey;
  readonly now: () => Date;
  /** `iss` of issued JWTs. */
  readonly issuer?: string;
}

const ACTIONS = [
  'create',
  'rotate',
  'revoke',
  'retire',
  'suspend',
  'enable',
  'expire',
  'end_sessions',
] as const;

export class TokensConnector implements Connector {
  private readonly store: TokenStore;
  private readonly issuer: string;
  private readonly priors: Coalescer<Step, PriorState>;
  private readonly applies: Coalescer<Step, ApplyResult>;
  private readonly verifies: Coalescer<{ readonly step: Step; readonly secret?: string }, VerifyResult>;

  constructor(private readonly deps: TokensDeps) {
    this.store = new TokenStore(deps.conn);
    this.issuer = deps.issuer ?? 'custos';
    // Calls that arrive while the connection is busy are handled together (token-batch.ts).
    this.priors = new Coalescer(this.store, (steps) => settledAll(readPriorStates(this.store, steps)));
    this.applies = new Coalescer(
      this.store,
      (steps) => applyMany({ ...this.deps, store: this.store, issuer: this.issuer }, steps),
      (step) => pairKey(step.system.id, step.identity.id),
    );
    this.verifies = new Coalescer(this.store, (items) => settledAll(verifyMany(this.presentedDeps(), items)));
  }

  describe(): ConnectorDescription {
    return { type: 'tokens', actions: ACTIONS, rollback: 'compensating', realLogin: true };
  }

  checkStep(step: Step): void {
    if (!(ACTIONS as readonly string[]).includes(step.action)) throw unsupported(step);
    checkParams(step);
  }

  async plan(step: Step, authority: DelegatedAuthority): Promise<StepPlan> {
    await this.authorise(authority, scopeOf(step));
    this.checkStep(step);
    const who = `${step.system.id}/${step.identity.id}`;
    const effects: Record<string, string> = {
      create: `issue the first credential of ${who}`,
      rotate: `issue a new credential of ${who}; supersede the old after ${overlapOf(step)}s`,
      revoke: `revoke every credential of ${who}`,
      retire: `revoke every credential of ${who} and retire it`,
      suspend: `suspend ${who}`,
      enable: `enable ${who}`,
      expire: `expire every credential of ${who} now`,
      end_sessions: `revoke the outstanding short-lived tokens of ${who}`,
    };
    return { summary: `${step.action} ${who}`, effects: [effects[step.action]!], rollback: 'compensating' };
  }

  async readPrior(step: Step, authority: DelegatedAuthority): Promise<PriorState> {
    await this.authorise(authority, scopeOf(step));
    return this.priors.submit(step);
  }

  /** Idempotent per (run, step): the effect and its operation row commit together (token-apply.ts). */
  async apply(step: Step, authority: DelegatedAuthority): Promise<ApplyResult> {
    await this.authorise(authority, scopeOf(step));
    this.checkStep(step);
    return this.applies.submit(step);
  }

  async verify(step: Step, authority: DelegatedAuthority, secret?: string): Promise<VerifyResult> {
    await this.authorise(authority, scopeOf(step));
    return this.verifies.submit({ step, ...(secret === undefined ? {} : { secret }) });
  }

  async rollback(step: Step, authority: DelegatedAuthority, prior: PriorState): Promise<void> {
    await this.authorise(authority, scopeOf(step));
    const now = this.deps.now();
    await this.store.transaction(() => restorePrior(this.store, step, prior, now));
  }

  async list(system: TargetSystem, authority: DelegatedAuthority): Promise<ListedAccount[]> {
    await this.authorise(authority, listScope(system));
    const rows = await this.store.transaction(() => this.store.identities(system.id));
    return rows.map((r) => ({
      externalId: r.external_id,
      attributes: { identity: r.identity_id, state: r.state },
    }));
  }

  /** Revokes the identity's outstanding short-lived tokens, as an `end_sessions` step. */
  async endSessions(step: Step, authority: DelegatedAuthority): Promise<number> {
    return endSessionsAsStep(this, step, authority);
  }

  /** The downstream check of a presented API key or token (attacker-controlled input). */
  verifyPresented(presented: string): Promise<PresentedResult> {
    return verifyPresented(this.presentedDeps(), presented);
  }

  /** The JWKS (RFC 7517) against which a service verifies issued JWTs offline. */
  jwks(): JSONWebKeySet {
    return { keys: [{ ...this.deps.signingKey.publicJwk }] };
  }

  private authorise(token: string, scope: AuthorityScope): Promise<unknown> {
    return this.deps.authority.assert(token, scope);
  }

  private presentedDeps() {
    return { ...this.deps, store: this.store };
  }
}

function overlapOf(step: Step): number {
  const value = step.params['overlapSeconds'];
  return typeof value === 'number' ? value : 0;
}

function unsupported(step: Step): CustosError {
  return new CustosError('CONNECTOR_REFUSED', `the tokens connector does not support ${step.action}`);
}

/** A batch that succeeds or fails as a whole; a store failure is the target being unavailable. */
async function settledAll<O>(values: Promise<O[]>): Promise<PromiseSettledResult<O>[]> {
  try {
    return fulfilled(await values);
  } catch (e) {
    throw isCustosError(e) ? e : unavailable(e);
  }
}
