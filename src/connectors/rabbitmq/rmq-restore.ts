/**
 * Rollback by compensation (the broker has no transactions): the ops that bring the user back to
 * the prior state, restricted to what the step could have changed, so that a rollback does not undo
 * another run's change to the same user:
 *
 *   create                      the user is deleted (its sessions with it)
 *   retire                      the user is recreated: the prior hash (from the journal), tags,
 *                               permissions and limits — the old password works again
 *   rotate, revoke (credential) the prior hash, taken from the step's journal entry and put back only
 *                               if its fingerprint matches the prior state's; sessions ended
 *   grant, revoke (entitlements) the permissions on the vhosts the step named; sessions ended when
 *                               access narrows (open channels cache what they were granted)
 *   suspend, enable             the max-connections limit; sessions ended when it becomes 0
 *
 * `compensation` is pure: verify after a rollback calls it again and expects nothing left to do.
 */
import { fingerprint, type FingerprintKey } from '../../ledger/secrets.js';
import type { Step } from '../contract.js';
import { entitlementsOf, samePermission, type Permission } from './rmq-entitlements.js';
import { HASHING_ALGORITHM } from './rmq-hash.js';
import { permissionOn, type Limit, type Op } from './rmq-ops.js';
import type { Prior } from './rmq-prior.js';
import { mismatch, type UserState } from './rmq-user.js';

/** The hash the step replaced, as its journal entry keeps it. */
export interface KeptHash {
  readonly priorHash: string | null;
  readonly priorAlgorithm: string | null;
}

type Scope = 'none' | 'credential' | 'permissions' | 'limits' | 'all';

export function compensation(
  step: Step,
  prior: Prior,
  current: UserState | undefined,
  kept: KeptHash | undefined,
  key: FingerprintKey,
): Op[] {
  if (!prior.exists) return current === undefined ? [] : [{ op: 'delete_user' }];
  const scope = scopeOf(step);
  if (scope === 'none') return [];
  if (current === undefined) {
    if (scope !== 'all')
      throw mismatch('the user was deleted after the step: only a retirement is undone by recreating it');
    return [
      { op: 'put_user', ...hashFor(prior, kept, key), tags: [...prior.tags] },
      ...prior.permissions.map((permission): Op => ({ op: 'put_permission', permission })),
      ...limitOps(prior, undefined, 'max-connections'),
      ...limitOps(prior, undefined, 'max-channels'),
    ];
  }
  const ops: Op[] = [];
  if (scope === 'credential' || scope === 'all') {
    const wanted = prior.credentials[0]?.fingerprint ?? null;
    const now = current.hash === '' ? null : fingerprint(key, current.hash);
    const tagsDiffer = scope === 'all' && prior.tags.join(',') !== current.tags.join(',');
    if (wanted !== now || tagsDiffer) {
      const hash =
        wanted === now ? { hash: current.hash, algorithm: current.algorithm } : hashFor(prior, kept, key);
      ops.push({ op: 'put_user', ...hash, tags: [...(scope === 'all' ? prior.tags : current.tags)] });
    }
  }
  if (scope === 'permissions' || scope === 'all') {
    const named =
      scope === 'all' ? undefined : (entitlementsOf(step.params, step.action) ?? []).map((e) => e.vhost);
    const vhosts = named ?? [...new Set([...prior.permissions, ...current.permissions].map((p) => p.vhost))];
    for (const vhost of vhosts) ops.push(...permissionOps(prior.permissions, current, vhost));
  }
  if (scope === 'limits' || scope === 'all') ops.push(...limitOps(prior, current, 'max-connections'));
  if (scope === 'all') ops.push(...limitOps(prior, current, 'max-channels'));
  // Sessions opened under the step's effect (a new password, wider access) must not outlive it.
  const ends = ops.some((o) => o.op !== 'delete_limit' && !(o.op === 'put_limit' && o.value > 0));
  return ends ? [...ops, { op: 'end_sessions' }] : ops;
}

function scopeOf(step: Step): Scope {
  switch (step.action) {
    case 'rotate':
      return 'credential';
    case 'revoke':
      return step.params['entitlements'] === undefined ? 'credential' : 'permissions';
    case 'grant':
      return 'permissions';
    case 'suspend':
    case 'enable':
      return 'limits';
    case 'retire':
      return 'all';
    default:
      return 'none';
  }
}

/** The prior password's hash: none, or the one the journal kept if its fingerprint matches. */
function hashFor(prior: Prior, kept: KeptHash | undefined, key: FingerprintKey) {
  const wanted = prior.credentials[0]?.fingerprint;
  const algorithm = kept?.priorAlgorithm ?? HASHING_ALGORITHM;
  if (wanted === undefined) return { hash: '', algorithm };
  const hash = kept?.priorHash ?? null;
  if (hash === null || hash === '' || fingerprint(key, hash) !== wanted) {
    throw mismatch('the prior password is not in the journal of this step');
  }
  return { hash, algorithm };
}

function permissionOps(prior: readonly Permission[], current: UserState, vhost: string): Op[] {
  const before = prior.find((p) => p.vhost === vhost);
  const now = permissionOn(current, vhost);
  if (samePermission(before, now)) return [];
  return before === undefined
    ? [{ op: 'delete_permission', vhost }]
    : [{ op: 'put_permission', permission: before }];
}

function limitOps(prior: Prior, current: UserState | undefined, limit: Limit): Op[] {
  const before = limit === 'max-connections' ? prior.maxConnections : prior.maxChannels;
  const now =
    current === undefined ? null : limit === 'max-connections' ? current.maxConnections : current.maxChannels;
  if (before === now) return [];
  return before === null ? [{ op: 'delete_limit', limit }] : [{ op: 'put_limit', limit, value: before }];
}
