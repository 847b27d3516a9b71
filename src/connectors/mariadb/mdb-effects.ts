/**
 * What each action sends to the target, prepared from the account's current state before anything
 * is written: the statements, the outputs to record, the hash the step replaces and the one it
 * sets. Passwords are generated here and sent only as mysql_native_password hashes.
 */
import type { JsonValue } from '../../core/canonical-json.js';
import { CustosError } from '../../core/errors.js';
import { fingerprint, type FingerprintKey } from '../../ledger/secrets.js';
import type { IssuedSecret, Step } from '../contract.js';
import type { Sql } from './mdb-admin.js';
import { alterUser, identifiedBy, lifetimeSql, otherHosts, type AccountState } from './mdb-account.js';
import { describeGrant, entitlementsOf, type Grant } from './mdb-entitlements.js';
import { assertTablesExist, grantStatement, heldKey, readHeld } from './mdb-grants.js';
import { managedBy } from './mdb-journal.js';
import { accountSql, type Account } from './mdb-sql.js';
import { NO_PASSWORD, nativeHash, newPassword } from './native-password.js';

export interface EffectContext {
  readonly sql: Sql;
  readonly step: Step;
  readonly account: Account;
  readonly current: AccountState | undefined;
  readonly now: Date;
  readonly fingerprintKey: FingerprintKey;
  readonly defaultTtlSeconds: number;
}

export interface Effect {
  readonly outputs: Record<string, JsonValue>;
  /** The authentication string this step replaces; kept in the journal for rollback. */
  readonly priorHash: string | null;
  /** The authentication string this step sets; kept in the journal for verify and recovery. */
  readonly setHash: string | null;
  readonly secret?: IssuedSecret;
  readonly statements: readonly string[];
}

/**
 * The actions after which the account's open sessions must end: they survive a password change,
 * a lock, an expiry, DROP USER, and a revoked database privilege (re-checked only at the next USE).
 */
export const ENDS_SESSIONS: ReadonlySet<string> = new Set([
  'rotate',
  'revoke',
  'suspend',
  'expire',
  'retire',
  'end_sessions',
]);

/** Checks a step's parameters before anything is read or written (also used by plan). */
export function checkParams(step: Step): Grant[] | undefined {
  const grants = entitlementsOf(step.params);
  seconds(step, 'ttlSeconds');
  if (step.action === 'rotate' && seconds(step, 'overlapSeconds') > 0) {
    throw new CustosError(
      'CONNECTOR_REFUSED',
      'MariaDB holds one password per account: a rotation overlap is not possible',
    );
  }
  if (step.action === 'grant' && grants === undefined) {
    throw new CustosError('INPUT_INVALID', 'grant needs params.entitlements');
  }
  if ((step.action === 'grant' || step.action === 'revoke') && grants?.length === 0) {
    throw new CustosError('INPUT_INVALID', `${step.action} needs a non-empty params.entitlements`);
  }
  return grants;
}

export async function prepareEffect(ctx: EffectContext): Promise<Effect> {
  const { sql, step, account, current } = ctx;
  const grants = checkParams(step) ?? [];
  const base = { user: account.user, host: account.host };
  if (step.action === 'create') {
    if (current !== undefined) throw mismatch('the account already exists');
    const hosts = await otherHosts(sql, account);
    if (hosts.length > 0) throw mismatch(`user ${account.user} exists at another host (${hosts.join(', ')})`);
    await assertTablesExist(sql, grants);
    const { hash, secret, days } = issue(ctx);
    return {
      outputs: {
        ...base,
        fingerprint: secret.fingerprint,
        expiresAt: secret.expiresAt!,
        passwordLifetimeDays: days,
        locked: false,
        grants: grants.map(describeGrant),
      },
      priorHash: null,
      setHash: hash,
      secret,
      statements: [
        `CREATE USER ${accountSql(account)} ${identifiedBy(hash)} ${lifetimeSql(days)}`,
        ...grants.map((g) => grantStatement('GRANT', g, account)),
      ],
    };
  }
  const state = await assertManaged(ctx);
  const keep = { priorHash: state.hash, setHash: null };
  switch (step.action) {
    case 'rotate': {
      const { hash, secret, days } = issue(ctx);
      return {
        outputs: {
          ...base,
          fingerprint: secret.fingerprint,
          expiresAt: secret.expiresAt!,
          passwordLifetimeDays: days,
          overlapSeconds: 0,
        },
        priorHash: state.hash,
        setHash: hash,
        secret,
        statements: [alterUser(account, `${identifiedBy(hash)} ${lifetimeSql(days)}`)],
      };
    }
    case 'grant': {
      await assertTablesExist(sql, grants);
      const statements = grants.map((g) => grantStatement('GRANT', g, account));
      return {
        ...keep,
        outputs: { ...base, granted: grants.map(describeGrant) },
        statements,
      };
    }
    case 'revoke': {
      if (step.params['entitlements'] === undefined) {
        const statements = [alterUser(account, identifiedBy(NO_PASSWORD))];
        return {
          ...keep,
          setHash: NO_PASSWORD,
          outputs: { ...base, passwordRemoved: true },
          statements,
        };
      }
      const held = await readHeld(sql, account);
      const statements = grants
        .filter((g) => held.has(heldKey(g)))
        .map((g) => grantStatement('REVOKE', g, account));
      return {
        ...keep,
        outputs: { ...base, revoked: grants.map(describeGrant) },
        statements,
      };
    }
    case 'suspend':
    case 'enable': {
      const locked = step.action === 'suspend';
      const statements = [alterUser(account, locked ? 'ACCOUNT LOCK' : 'ACCOUNT UNLOCK')];
      return { ...keep, outputs: { ...base, locked }, statements };
    }
    case 'expire':
      return {
        ...keep,
        outputs: { ...base, passwordExpired: true, expiredAt: ctx.now.toISOString() },
        statements: [alterUser(account, 'PASSWORD EXPIRE')],
      };
    case 'retire':
      return {
        ...keep,
        outputs: { ...base, retired: true },
        statements: [`DROP USER ${accountSql(account)}`],
      };
    case 'end_sessions':
      return { ...keep, outputs: { ...base, ended: 0 }, statements: [] };
    default: {
      const action: string = step.action;
      throw new CustosError('CONNECTOR_REFUSED', `the mariadb connector does not support ${action}`);
    }
  }
}

/**
 * A fresh password and its hash. MariaDB expires passwords by lifetime in whole days
 * (`PASSWORD EXPIRE INTERVAL n DAY`, counted from the change): ttlSeconds rounds up to days.
 */
function issue(ctx: EffectContext): { hash: string; secret: IssuedSecret; days: number } {
  const days = Math.ceil(ttlOf(ctx.step, ctx.defaultTtlSeconds) / 86_400);
  const expiresAt = new Date(ctx.now.getTime() + days * 86_400_000).toISOString();
  const value = newPassword();
  const secret = { value, fingerprint: fingerprint(ctx.fingerprintKey, value), expiresAt };
  return { hash: nativeHash(value), secret, days };
}

/** Custos changes only accounts it manages for this system and identity (never root, say). */
async function assertManaged(ctx: EffectContext): Promise<AccountState> {
  const { current, step, account, sql } = ctx;
  if (current === undefined) throw mismatch('the account does not exist');
  const managed = await managedBy(sql, account);
  if (managed?.system !== step.system.id || managed.identity !== step.identity.id) {
    throw mismatch(`the account is not managed by Custos for ${step.system.id}/${step.identity.id}`);
  }
  return current;
}

function ttlOf(step: Step, fallback: number): number {
  return seconds(step, 'ttlSeconds') || fallback;
}

function seconds(step: Step, name: string): number {
  const value = step.params[name] ?? 0;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > 3650 * 86_400) {
    throw new CustosError('INPUT_INVALID', `params.${name} must be a number of seconds (at most ten years)`);
  }
  return value;
}

function mismatch(why: string): CustosError {
  return new CustosError('TARGET_STATE_MISMATCH', why);
}
