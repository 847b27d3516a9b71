/**
 * The seam between connectors and delegated authority (src/authority). A connector calls
 * `assert` before every operation and refuses to act unless the presented credential was minted
 * for exactly this run, action, system and identity.
 */
import type { Step, TargetSystem } from './contract.js';

export interface AuthorityScope {
  readonly runId: string;
  readonly action: string;
  readonly system: string;
  readonly identity: string;
}

export interface AuthorityCheck {
  /**
   * Resolves when `token` (attacker-controlled) is a valid delegated authority for `scope`;
   * otherwise throws a CustosError: AUTHORITY_INVALID, AUTHORITY_EXPIRED or AUTHORITY_SCOPE.
   */
  assert(token: string, scope: AuthorityScope): Promise<unknown>;
}

/** The scope a step's operations (plan, readPrior, apply, verify, rollback) must be authorised for. */
export function scopeOf(step: Step): AuthorityScope {
  return { runId: step.runId, action: step.action, system: step.system.id, identity: step.identity.id };
}

/**
 * The scope of `list`, which the contract calls without a run: a reconciliation-wide authority for
 * one system. (Open question for the run engine: pass the reconciliation's run id instead.)
 */
export function listScope(system: TargetSystem): AuthorityScope {
  return { runId: '*', action: 'list', system: system.id, identity: '*' };
}

/**
 * The scope of `endOverlaps` on targets that keep an old credential through a rotation's overlap
 * window (Redis, OpenLDAP): every identity of one system, outside any run; the host loop's sweep
 * (src/runs/overlap-sweep.ts) mints it.
 */
export function overlapScope(system: TargetSystem): AuthorityScope {
  return { runId: '*', action: 'end_overlaps', system: system.id, identity: '*' };
}
