/**
 * What each action does to the account, as an intent written to the journal before the change:
 * the outputs to record, the fingerprint of the password value it sets, the values it replaces,
 * the overlap window. `effectPresent` tells from the account's state and the intent alone whether
 * a change took place (for a pending record left by a crash); `ensureGroups` finishes the
 * membership part, which spans other entries and is ensured, not toggled.
 *
 * Passwords are generated here and sent only as `{SSHA}` values (ssha.ts). A change to one entry
 * is one LDAP request, atomic on the server.
 */
import type { JsonValue } from '../../core/canonical-json.js';
import { CustosError } from '../../core/errors.js';
import { fingerprint, type FingerprintKey } from '../../ledger/secrets.js';
import type { IssuedSecret, Step } from '../contract.js';
import {
  ACCOUNT_CLASSES,
  LOCKED_FOREVER,
  assertManaged,
  credentialFingerprints,
  generalizedTime,
  managedMarker,
  toSecond,
  type AccountState,
} from './ldap-account.js';
import type { Ldap, Mod } from './ldap-admin.js';
import { parseDn } from './ldap-dn.js';
import { LDAP, ldapCode } from './ldap-errors.js';
import { setMember } from './ldap-groups.js';
import type { JournalRecord } from './ldap-journal.js';
import type { StepParams } from './ldap-params.js';
import { dropAccountFromGroups } from './ldap-retire.js';
import type { LdapSettings } from './ldap-settings.js';
import { newPassword, sshaHash } from './ssha.js';

export interface EffectContext {
  readonly step: Step;
  readonly settings: LdapSettings;
  /** The account's DN. */
  readonly account: string;
  readonly params: StepParams;
  readonly now: Date;
  readonly key: FingerprintKey;
  readonly defaultTtlSeconds: number;
}

export type IntentFields = Pick<JournalRecord, 'outputs' | 'setFingerprint' | 'priorPasswords' | 'overlap'>;

export interface Intent {
  readonly fields: IntentFields;
  readonly secret?: IssuedSecret;
  /** The change to the account entry (none for memberships and end_sessions). */
  readonly change?: (ldap: Ldap) => Promise<void>;
}

export function planIntent(ctx: EffectContext, state: AccountState | undefined): Intent {
  const { step, account, params } = ctx;
  if (step.action === 'create') {
    if (state !== undefined)
      throw new CustosError('TARGET_STATE_MISMATCH', `account ${account} already exists`);
    const issued = issue(ctx);
    const groups = (params.groups ?? []).map((g) => g.group);
    const cn = parseDn(account)?.[0]?.value ?? step.identity.externalId;
    return {
      fields: {
        outputs: { account, fingerprint: issued.secret.fingerprint, validUntil: issued.validUntil, groups },
        setFingerprint: issued.print,
      },
      secret: issued.secret,
      change: (ldap) =>
        ldap.add(account, {
          objectClass: ACCOUNT_CLASSES,
          cn: [cn],
          userPassword: [issued.hash],
          description: [managedMarker(step.system.id, step.identity.id)],
          pwdEndTime: [generalizedTime(new Date(issued.validUntil))],
        }),
    };
  }
  const current = assertManaged(state, step);
  const prior = current.passwords.map((p) => p.toString('base64'));
  switch (step.action) {
    case 'rotate':
      return rotate(ctx, current, prior);
    case 'grant':
    case 'revoke': {
      if (params.groups === undefined && step.action === 'revoke') {
        return {
          fields: { outputs: { account, passwordRemoved: true }, priorPasswords: prior },
          change: (ldap) => removePasswords(ldap, current),
        };
      }
      if (params.groups === undefined || params.groups.length === 0) {
        throw new CustosError('INPUT_INVALID', `${step.action} needs params.entitlements (group names)`);
      }
      const key = step.action === 'grant' ? 'granted' : 'revoked';
      return { fields: { outputs: { account, [key]: params.groups.map((g) => g.group) } } };
    }
    case 'suspend':
    case 'enable': {
      const locked = step.action === 'suspend';
      const mod: Mod = {
        operation: 'replace',
        type: 'pwdAccountLockedTime',
        values: locked ? [LOCKED_FOREVER] : [],
      };
      return { fields: { outputs: { account, locked } }, change: (ldap) => ldap.modify(account, [mod]) };
    }
    case 'expire': {
      // One second in the past: ppolicy refuses binds *after* pwdEndTime, at whole seconds.
      const at = new Date(toSecond(ctx.now).getTime() - 1000);
      const mod: Mod = { operation: 'replace', type: 'pwdEndTime', values: [generalizedTime(at)] };
      return {
        fields: { outputs: { account, validUntil: at.toISOString() } },
        change: (ldap) => ldap.modify(account, [mod]),
      };
    }
    case 'retire':
      return {
        fields: { outputs: { account, retired: true } },
        change: async (ldap) => {
          await dropAccountFromGroups(ldap, ctx.settings, account);
          await ldap.del(account).catch((error: unknown) => {
            if (ldapCode(error) !== LDAP.noSuchObject) throw error;
          });
        },
      };
    case 'end_sessions':
      return { fields: { outputs: { account, ended: 0 } } };
    default: {
      const action: string = step.action;
      throw new CustosError('CONNECTOR_REFUSED', `the ldap connector cannot ${action}`);
    }
  }
}

function rotate(ctx: EffectContext, current: AccountState, prior: string[]): Intent {
  const { account, params, now, key } = ctx;
  const issued = issue(ctx);
  const overlapUntil = new Date(now.getTime() + params.overlapSeconds * 1000).toISOString();
  const keepOld = params.overlapSeconds > 0 && current.passwords.length > 0;
  const mods: Mod[] = [
    ...(current.securityObject
      ? []
      : [{ operation: 'add', type: 'objectClass', values: ['simpleSecurityObject'] } as const]),
    // Deleting the exact old values fails (noSuchAttribute) if they changed meanwhile: no lost update.
    ...(keepOld || current.passwords.length === 0
      ? []
      : [{ operation: 'delete', type: 'userPassword', values: current.passwords } as const]),
    { operation: 'add', type: 'userPassword', values: [issued.hash] },
    { operation: 'replace', type: 'pwdEndTime', values: [generalizedTime(new Date(issued.validUntil))] },
  ];
  const outputs: Record<string, JsonValue> = {
    account,
    fingerprint: issued.secret.fingerprint,
    validUntil: issued.validUntil,
    overlapSeconds: params.overlapSeconds,
    ...(keepOld ? { overlapUntil } : {}),
  };
  return {
    fields: {
      outputs,
      setFingerprint: issued.print,
      priorPasswords: prior,
      ...(keepOld
        ? {
            overlap: { fingerprints: credentialFingerprints(current, key), until: overlapUntil, done: false },
          }
        : {}),
    },
    secret: issued.secret,
    change: (ldap) => ldap.modify(account, mods),
  };
}

/** Revokes the credential: no userPassword value is left, so no simple bind can succeed. */
async function removePasswords(ldap: Ldap, current: AccountState): Promise<void> {
  if (current.passwords.length === 0) return;
  await ldap.modify(current.dn, [
    { operation: 'delete', type: 'userPassword', values: current.passwords },
    // simpleSecurityObject requires a userPassword: it goes with the last value, back with the next.
    ...(current.securityObject
      ? [{ operation: 'delete', type: 'objectClass', values: ['simpleSecurityObject'] } as const]
      : []),
  ]);
}

/** Whether the account already shows the record's change (for a pending record left by a crash). */
export function effectPresent(
  record: JournalRecord,
  state: AccountState | undefined,
  key: FingerprintKey,
): boolean {
  const held = () => credentialFingerprints(state, key);
  switch (record.action) {
    case 'create':
    case 'rotate':
      return record.setFingerprint !== undefined && held().includes(record.setFingerprint);
    case 'revoke':
      return (
        record.outputs['passwordRemoved'] !== true || (state !== undefined && state.passwords.length === 0)
      );
    case 'suspend':
      return state?.locked === LOCKED_FOREVER;
    case 'enable':
      return state !== undefined && state.locked === null;
    case 'expire': {
      const at = record.outputs['validUntil'];
      return (
        state?.validUntil != null && typeof at === 'string' && Date.parse(state.validUntil) <= Date.parse(at)
      );
    }
    case 'retire':
      return state === undefined;
    default:
      return true; // grant, end_sessions: nothing on the account entry itself
  }
}

/** The membership part of create, grant and revoke, ensured (idempotent) after the change. */
export async function ensureGroups(ldap: Ldap, ctx: EffectContext): Promise<void> {
  const { step, params, account } = ctx;
  const want = step.action === 'create' || step.action === 'grant';
  if (!['create', 'grant', 'revoke'].includes(step.action)) return;
  for (const g of params.groups ?? []) await setMember(ldap, g, account, want);
}

interface Issued {
  readonly secret: IssuedSecret;
  readonly hash: string;
  /** Fingerprint of the userPassword value (the hash), as the journal and prior states keep it. */
  readonly print: string;
  readonly validUntil: string;
}

function issue(ctx: EffectContext): Issued {
  const password = newPassword();
  const hash = sshaHash(password);
  const ttl = ctx.params.ttlSeconds ?? ctx.defaultTtlSeconds;
  const validUntil = toSecond(new Date(ctx.now.getTime() + ttl * 1000)).toISOString();
  const secret: IssuedSecret = {
    value: password,
    fingerprint: fingerprint(ctx.key, password),
    expiresAt: validUntil,
  };
  return { secret, hash, print: fingerprint(ctx.key, Buffer.from(hash, 'utf8')), validUntil };
}
