/**
 * A service-account entry as the connector sees it: `applicationProcess` + `simpleSecurityObject`
 * named `cn=<externalId>,<baseDn>`, marked as Custos-managed in `description`, with its password
 * values, its ppolicy lock (`pwdAccountLockedTime`) and end of validity (`pwdEndTime`).
 *
 * The marker (`custos:{"system":…,"identity":…}`) is what lets the connector refuse to touch
 * entries it does not manage, and what `list` reports for reconciliation.
 */
import { CustosError } from '../../core/errors.js';
import { fingerprint, type FingerprintKey } from '../../ledger/secrets.js';
import type { Step } from '../contract.js';
import type { Ldap } from './ldap-admin.js';

/** ppolicy's "locked until an administrator unlocks it" value (slapo-ppolicy(5)). */
export const LOCKED_FOREVER = '000001010000Z';
export const ACCOUNT_CLASSES = ['applicationProcess', 'simpleSecurityObject'];
const ATTRIBUTES = [
  'objectClass',
  'description',
  'userPassword',
  'pwdAccountLockedTime',
  'pwdEndTime',
  'pwdPolicySubentry',
];

export interface Managed {
  readonly system: string;
  readonly identity: string;
}

export interface AccountState {
  readonly dn: string;
  readonly managed: Managed | undefined;
  /** userPassword values, as stored (bytes). */
  readonly passwords: readonly Buffer[];
  /** Whether the entry has simpleSecurityObject (which requires a userPassword). */
  readonly securityObject: boolean;
  /** pwdAccountLockedTime, or null. */
  readonly locked: string | null;
  /** pwdEndTime as ISO 8601, or null. */
  readonly validUntil: string | null;
  /** An entry-specific pwdPolicySubentry, or null (the default policy applies). */
  readonly policy: string | null;
}

export async function readAccount(ldap: Ldap, dn: string): Promise<AccountState | undefined> {
  const entry = await ldap.read(dn, ATTRIBUTES);
  if (entry === undefined) return undefined;
  const classes = entry.text('objectClass').map((c) => c.toLowerCase());
  const endTime = entry.text('pwdEndTime')[0];
  return {
    dn,
    managed: parseManaged(entry.text('description')),
    passwords: entry.bytes('userPassword'),
    securityObject: classes.includes('simplesecurityobject'),
    locked: entry.text('pwdAccountLockedTime')[0] ?? null,
    validUntil: endTime === undefined ? null : isoOfGeneralized(endTime),
    policy: entry.text('pwdPolicySubentry')[0] ?? null,
  };
}

export function managedMarker(system: string, identity: string): string {
  return `custos:${JSON.stringify({ system, identity })}`;
}

export function parseManaged(descriptions: readonly string[]): Managed | undefined {
  for (const text of descriptions) {
    if (!text.startsWith('custos:')) continue;
    try {
      const value = JSON.parse(text.slice('custos:'.length)) as { system?: unknown; identity?: unknown };
      if (typeof value.system === 'string' && typeof value.identity === 'string') {
        return { system: value.system, identity: value.identity };
      }
    } catch {
      // not a marker
    }
  }
  return undefined;
}

/** The account, which must exist and be managed by Custos for exactly this system and identity. */
export function assertManaged(state: AccountState | undefined, step: Step): AccountState {
  if (state === undefined) {
    throw new CustosError('TARGET_STATE_MISMATCH', `account ${step.identity.externalId} does not exist`);
  }
  if (state.managed?.system !== step.system.id || state.managed.identity !== step.identity.id) {
    throw new CustosError(
      'TARGET_STATE_MISMATCH',
      `account ${step.identity.externalId} is not managed by Custos for this identity`,
    );
  }
  return state;
}

/** Fingerprints of the stored userPassword values (never the values: they are hashes of secrets). */
export function credentialFingerprints(state: AccountState | undefined, key: FingerprintKey): string[] {
  return (state?.passwords ?? []).map((p) => fingerprint(key, p));
}

/** `YYYYMMDDHHMMSSZ` (GeneralizedTime, RFC 4517 §3.3.13), to the second. */
export function generalizedTime(date: Date): string {
  return date
    .toISOString()
    .replace(/[-:T]/g, '')
    .replace(/\.\d{3}Z$/, 'Z');
}

/** ISO 8601 of a GeneralizedTime as OpenLDAP writes it (seconds, optional fraction, Z). */
export function isoOfGeneralized(text: string): string | null {
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(?:\.\d+)?Z$/.exec(text);
  if (m === null) return null;
  return `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}.000Z`;
}

/** A whole-second date (pwdEndTime keeps seconds only). */
export function toSecond(date: Date): Date {
  return new Date(Math.floor(date.getTime() / 1000) * 1000);
}
