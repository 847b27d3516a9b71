/**
 * What each action does to a user, decided from the user's current state (pure: the ops run later,
 * after the step's journal entry has recorded them). Passwords are generated here and leave the
 * connector only as a hash (in the ops) and a fingerprint (in the outputs).
 *
 * - create: the user with a fresh password and the managed tag; its entitlements; connect-only
 *   access (empty patterns) to the system's vhost unless an entitlement names it, so that the
 *   account can open a connection there (and verify can log in for real) and do nothing else.
 * - rotate: a fresh password (tags kept: a PUT replaces the whole user); ends sessions.
 * - grant: sets each named vhost's permission. A vhost holds one permission: a grant may widen
 *   connect-only access, but another permission must be revoked first (no silent replacement, which
 *   could also narrow access that open channels have cached; and the inventory's entitlements stay
 *   one per vhost).
 * - revoke: with entitlements, withdraws them (a full triple must match what is held); without,
 *   the credential (the hash becomes empty: no password login). Ends sessions either way.
 * - suspend: the user limit max-connections = 0 (no new connection); ends sessions.
 * - enable: removes a max-connections limit of 0 (a positive limit is left as it is).
 * - retire: deletes the user (RabbitMQ closes its connections).
 * - end_sessions: closes every connection of the user.
 */
import type { JsonValue } from '../../core/canonical-json.js';
import { CustosError } from '../../core/errors.js';
import { fingerprint, type FingerprintKey } from '../../ledger/secrets.js';
import type { IssuedSecret, Step } from '../contract.js';
import { describeEntitlement, isPermission, samePermission, type Permission } from './rmq-entitlements.js';
import { HASHING_ALGORITHM, newPassword, passwordHash } from './rmq-hash.js';
import { permissionOn, type Op } from './rmq-ops.js';
import type { StepParams } from './rmq-params.js';
import { assertManaged, managedTag, mismatch, type UserState } from './rmq-user.js';

export interface EffectContext {
  readonly step: Step;
  readonly user: string;
  readonly params: StepParams;
  readonly current: UserState | undefined;
  readonly fingerprintKey: FingerprintKey;
  /** The system's vhost (from amqpUrl), where a new user gets connect-only access. */
  readonly vhost: string;
}

export interface Effect {
  readonly ops: Op[];
  readonly outputs: Record<string, JsonValue>;
  /** The hash this step sets (create, rotate), kept in the journal for verify; never returned. */
  readonly setHash: string | null;
  readonly secret?: IssuedSecret;
}

const END: Op = { op: 'end_sessions' };

export function planEffect(ctx: EffectContext): Effect {
  const { step, user, current, params } = ctx;
  const entitlements = params.entitlements ?? [];
  if (step.action === 'create') {
    if (current !== undefined) throw mismatch(`user ${user} already exists`);
    const { secret, hash } = issue(ctx.fingerprintKey);
    const granted = entitlements.filter(isPermission);
    const home = granted.some((p) => p.vhost === ctx.vhost)
      ? []
      : [{ vhost: ctx.vhost, configure: '', write: '', read: '' }];
    const permissions = [...home, ...granted];
    const tags = [managedTag(step.system.id, step.identity.id)];
    const ops: Op[] = [
      { op: 'put_user', hash, algorithm: HASHING_ALGORITHM, tags },
      ...permissions.map((permission): Op => ({ op: 'put_permission', permission })),
    ];
    const outputs = {
      user,
      fingerprint: secret.fingerprint,
      permissions: permissions.map(describeEntitlement),
    };
    return { ops, outputs, setHash: hash, secret };
  }
  const state = assertManaged(current, step, user);
  const tags = [...state.tags];
  switch (step.action) {
    case 'rotate': {
      const { secret, hash } = issue(ctx.fingerprintKey);
      const ops: Op[] = [{ op: 'put_user', hash, algorithm: HASHING_ALGORITHM, tags }, END];
      return {
        ops,
        outputs: { user, fingerprint: secret.fingerprint, overlapSeconds: 0 },
        setHash: hash,
        secret,
      };
    }
    case 'grant': {
      const granted = entitlements.filter(isPermission);
      for (const p of granted) {
        const held = permissionOn(state, p.vhost);
        if (held !== undefined && !samePermission(held, p) && !isConnectOnly(held)) {
          throw mismatch(`${user} holds a different permission on vhost ${p.vhost}: revoke it first`);
        }
      }
      const ops = granted.map((permission): Op => ({ op: 'put_permission', permission }));
      return { ops, outputs: { user, granted: granted.map(describeEntitlement) }, setHash: null };
    }
    case 'revoke': {
      if (params.entitlements === undefined) {
        const ops: Op[] = [{ op: 'put_user', hash: '', algorithm: state.algorithm, tags }, END];
        return { ops, outputs: { user, credentialRemoved: true }, setHash: null };
      }
      for (const e of entitlements) {
        const held = permissionOn(state, e.vhost);
        if (isPermission(e) && held !== undefined && !samePermission(held, e)) {
          throw mismatch(`the permission of ${user} on vhost ${e.vhost} is not the one named`);
        }
      }
      const ops = entitlements.map((e): Op => ({ op: 'delete_permission', vhost: e.vhost }));
      return {
        ops: [...ops, END],
        outputs: { user, revoked: entitlements.map(describeEntitlement) },
        setHash: null,
      };
    }
    case 'suspend':
      return {
        ops: [{ op: 'put_limit', limit: 'max-connections', value: 0 }, END],
        outputs: { user, suspended: true },
        setHash: null,
      };
    case 'enable': {
      const ops: Op[] = state.maxConnections === 0 ? [{ op: 'delete_limit', limit: 'max-connections' }] : [];
      return { ops, outputs: { user, suspended: false }, setHash: null };
    }
    case 'retire':
      return { ops: [{ op: 'delete_user' }, END], outputs: { user, retired: true }, setHash: null };
    case 'end_sessions':
      return { ops: [END], outputs: { user }, setHash: null };
    default:
      throw new CustosError('CONNECTOR_REFUSED', `the rabbitmq connector does not support ${step.action}`);
  }
}

/** The access create gives on the system's vhost: a connection, and no resource. */
function isConnectOnly(p: Permission): boolean {
  return p.configure === '' && p.write === '' && p.read === '';
}

function issue(key: FingerprintKey): { secret: IssuedSecret; hash: string } {
  const value = newPassword();
  return { secret: { value, fingerprint: fingerprint(key, value) }, hash: passwordHash(value) };
}
