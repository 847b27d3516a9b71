/**
 * The commands of each action, computed from the user's state as read under WATCH; the caller
 * runs them in one MULTI/EXEC with the step's journal entry and `ACL SAVE` (redis-apply.ts).
 *
 * - Passwords are generated here and sent only as `#<sha256>`; the password list and the key
 *   patterns are restated in full (`resetpass #…`, `resetkeys ~…`), so that no rule can fail at
 *   run time because the server changed since the read (Redis does not roll back a MULTI).
 * - A rotation with `overlapSeconds > 0` keeps the old passwords until the window's end, recorded
 *   in the user's record; the sweep removes them then (redis-overlap.ts).
 * - Rotation, credential revocation and suspension end the user's sessions in the same EXEC
 *   (`CLIENT KILL USER`); retirement does by itself (`ACL DELUSER` disconnects the user).
 * - Every grant ends with `-@admin -@dangerous -@scripting`, so that a granted category never
 *   brings those commands along.
 */
import type { JsonValue } from '../../core/canonical-json.js';
import { CustosError } from '../../core/errors.js';
import { fingerprint, type FingerprintKey } from '../../ledger/secrets.js';
import type { IssuedSecret, Step } from '../contract.js';
import { newPassword, sha256Hex, type AclUser } from './redis-acl.js';
import { mismatch, refused } from './redis-errors.js';
import {
  NEVER_CATEGORIES,
  describeEntitlement,
  grantsSomething,
  ruleOf,
  type Entitlement,
} from './redis-entitlements.js';
import { assertManaged, recordCommands, type ManagedRecord, type Retiring } from './redis-journal.js';
import { changeAccess, parseKeyTokens, renderKeyTokens } from './redis-keys.js';

export interface EffectContext {
  readonly step: Step;
  readonly user: string;
  readonly current: AclUser | undefined;
  readonly record: ManagedRecord | undefined;
  readonly entitlements: readonly Entitlement[] | undefined;
  readonly now: Date;
  readonly fingerprintKey: FingerprintKey;
  /** The user's open sessions just before (for `end_sessions`). */
  readonly sessions: number;
}

export interface Effect {
  readonly commands: string[][];
  readonly outputs: Record<string, JsonValue>;
  /** The hash this step set; kept in the journal for verify, never returned. */
  readonly setHash: string | null;
  readonly secret?: IssuedSecret;
}

const MAX_OVERLAP_SECONDS = 30 * 24 * 3600;

/** The params checked from the step alone (plan and checkStep call it; so does every effect). */
export function checkParams(step: Step): void {
  if (step.params['ttlSeconds'] !== undefined) {
    throw refused('Redis ACL passwords do not expire: params.ttlSeconds cannot be honoured');
  }
  overlapSeconds(step);
}

export function computeEffect(ctx: EffectContext): Effect {
  const { step, user, current, now } = ctx;
  checkParams(step);
  const setuser = (...rules: string[]) => ['ACL', 'SETUSER', user, ...rules];
  const kill = ['CLIENT', 'KILL', 'USER', user];
  const withRecord = (retiring: Retiring) =>
    recordCommands(user, { system: step.system.id, identity: step.identity.id, retiring }, now);
  if (step.action === 'create') {
    if (current !== undefined) throw mismatch(`Redis user ${user} already exists`);
    const { hash, secret } = issue(ctx);
    const rules = grantRules(ctx.entitlements ?? []);
    return {
      commands: [setuser('reset', 'on', `#${hash}`, 'resetchannels', ...rules), ...withRecord([])],
      outputs: { user, fingerprint: secret.fingerprint, enabled: true, entitlements: described(ctx) },
      setHash: hash,
      secret,
    };
  }
  const record = assertManaged(ctx.record, step, user);
  if (current === undefined) throw mismatch(`Redis user ${user} does not exist`);
  switch (step.action) {
    case 'rotate': {
      const overlap = overlapSeconds(step);
      const { hash, secret } = issue(ctx);
      const until = new Date(now.getTime() + overlap * 1000).toISOString();
      const retiring =
        overlap === 0 ? [] : current.passwords.map((h) => ({ hash: h, until: earlier(record, h, until) }));
      const keep = overlap === 0 ? [] : current.passwords;
      return {
        commands: [
          setuser('resetpass', ...[...keep, hash].map((h) => `#${h}`)),
          kill,
          ...withRecord(retiring),
        ],
        outputs: {
          user,
          fingerprint: secret.fingerprint,
          overlapSeconds: overlap,
          ...(overlap > 0 ? { overlapUntil: until } : {}),
        },
        setHash: hash,
        secret,
      };
    }
    case 'grant':
    case 'revoke': {
      const grant = step.action === 'grant';
      const list = ctx.entitlements;
      if (list === undefined && !grant) {
        return {
          commands: [setuser('resetpass'), kill, ...withRecord([])],
          outputs: { user, passwordsRemoved: true },
          setHash: null,
        };
      }
      if (list === undefined || list.length === 0) throw refused(`${step.action} needs params.entitlements`);
      const rules = grant ? grantRules(list) : revokeRules(list, current);
      return {
        commands: [setuser(...rules), ...withRecord(record.retiring)],
        outputs: { user, [grant ? 'granted' : 'revoked']: described(ctx) },
        setHash: null,
      };
    }
    case 'suspend':
      return {
        commands: [setuser('off'), kill, ...withRecord(record.retiring)],
        outputs: { user, enabled: false },
        setHash: null,
      };
    case 'enable':
      return {
        commands: [setuser('on'), ...withRecord(record.retiring)],
        outputs: { user, enabled: true },
        setHash: null,
      };
    case 'retire':
      return {
        commands: [['ACL', 'DELUSER', user], ...recordCommands(user, null, now)],
        outputs: { user, retired: true },
        setHash: null,
      };
    case 'end_sessions':
      return {
        commands: [kill, ...withRecord(record.retiring)],
        outputs: { user, ended: ctx.sessions },
        setHash: null,
      };
    default: {
      const action: string = step.action;
      throw refused(`the redis connector does not support ${action}: Redis ACL passwords do not expire`);
    }
  }
}

function issue(ctx: EffectContext): { hash: string; secret: IssuedSecret } {
  const value = newPassword();
  return { hash: sha256Hex(value), secret: { value, fingerprint: fingerprint(ctx.fingerprintKey, value) } };
}

function described(ctx: EffectContext): string[] {
  return (ctx.entitlements ?? []).map(describeEntitlement);
}

/** Grant rules, then the never-granted categories denied again if anything was granted. */
export function grantRules(list: readonly Entitlement[]): string[] {
  const rules = list.map(ruleOf);
  return list.some(grantsSomething) ? [...rules, ...NEVER_CATEGORIES.map((c) => `-@${c}`)] : rules;
}

/** Revocation: patterns restated without the revoked access, commands denied. */
function revokeRules(list: readonly Entitlement[], current: AclUser): string[] {
  const keys = parseKeyTokens(current.keys);
  const channels = new Set(current.channels);
  const rules: string[] = [];
  for (const e of list) {
    if (e.kind === 'keys') changeAccess(keys, e.pattern, e.access, false);
    else if (e.kind === 'channels') channels.delete(ruleOf(e));
    else if (e.sign === '-') {
      throw new CustosError(
        'INPUT_INVALID',
        `entitlement "${ruleOf(e)}" is a deny rule: revoking it would grant`,
      );
    } else rules.push(`-${ruleOf(e).slice(1)}`);
  }
  const patterns = list.some((e) => e.kind === 'keys') ? ['resetkeys', ...renderKeyTokens(keys)] : [];
  const chans = list.some((e) => e.kind === 'channels') ? ['resetchannels', ...[...channels].sort()] : [];
  return [...patterns, ...chans, ...rules];
}

function earlier(record: ManagedRecord, hash: string, until: string): string {
  const running = record.retiring.find((r) => r.hash === hash)?.until;
  return running !== undefined && Date.parse(running) < Date.parse(until) ? running : until;
}

export function overlapSeconds(step: Step): number {
  const value = step.params['overlapSeconds'] ?? 0;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > MAX_OVERLAP_SECONDS) {
    throw new CustosError(
      'INPUT_INVALID',
      `params.overlapSeconds must be a whole number of seconds from 0 to ${MAX_OVERLAP_SECONDS}`,
    );
  }
  return value;
}
