/**
 * The idempotency journal on the directory itself: one entry per applied (run, step),
 * `cn=<key>,<journalDn>` (an applicationProcess), holding the step's record as JSON in
 * `description`, the account's DN in `seeAlso`, and `ou: overlap-pending` while a rotation's old
 * password awaits removal. State alone cannot tell "this rotate already happened" from "rotate
 * again" (every rotation sets a random password): the journal can.
 *
 * LDAP changes one entry atomically, never two, so the journal cannot commit with the change
 * (OpenLDAP 2.5 advertises RFC 5805 transactions, but they corrupted entries here: see
 * docs/connectors/ldap.md). Instead a step writes its intent first (`pending`, with what it will
 * set, identified by fingerprint), changes the account, then marks the record `applied`. A pending
 * record left by a crash is settled from the account's state: if the intended password value (or
 * lock, membership…) is there, the step took effect. Every record change is a compare-and-swap:
 * one modify that deletes the exact old `description` value and adds the new one, which fails
 * (noSuchAttribute) if another writer got there first.
 *
 * The records keep the userPassword values a step replaced (for rollback), so the journal is as
 * sensitive as userPassword itself: the directory's ACLs must let only the Custos admin read it.
 */
import crypto from 'node:crypto';
import { AndFilter, EqualityFilter } from 'ldapts';
import type { JsonValue } from '../../core/canonical-json.js';
import { CustosError } from '../../core/errors.js';
import type { StepAction } from '../contract.js';
import type { Ldap } from './ldap-admin.js';
import { childDn, parseDn } from './ldap-dn.js';
import { LDAP, ldapCode } from './ldap-errors.js';
import type { LdapSettings } from './ldap-settings.js';

export const OVERLAP_PENDING = 'overlap-pending';

export interface Overlap {
  /** Fingerprints of the userPassword values to remove at `until`. */
  readonly fingerprints: readonly string[];
  readonly until: string;
  readonly done: boolean;
}

export interface JournalRecord {
  readonly v: 1;
  readonly run: string;
  readonly step: string;
  readonly action: StepAction;
  readonly system: string;
  readonly identity: string;
  readonly account: string;
  readonly state: 'pending' | 'applied' | 'rolled_back';
  /** The attempt that wrote the intent, and when (its lease). */
  readonly attempt: string;
  readonly startedAt: string;
  /** What the step records once applied (fingerprints, never secrets). */
  readonly outputs: Readonly<Record<string, JsonValue>>;
  /** Fingerprint of the userPassword value this step sets (create, rotate). */
  readonly setFingerprint?: string;
  /** The userPassword values this step replaced, base64: kept to restore them on rollback. */
  readonly priorPasswords?: readonly string[];
  readonly overlap?: Overlap;
  readonly appliedAt?: string;
  readonly rolledBackAt?: string;
  /** The prior state a rollback restored (fingerprints only), for verify. */
  readonly restoredPrior?: JsonValue;
}

export interface Journaled {
  readonly record: JournalRecord;
  /** The stored JSON text, the token of the next compare-and-swap. */
  readonly raw: string;
  readonly dn: string;
}

export function journalKey(runId: string, stepId: string): string {
  return crypto
    .createHash('sha256')
    .update(JSON.stringify([runId, stepId]))
    .digest('hex')
    .slice(0, 40);
}

/** Creates the journal's container if absent (an `ou=` entry; any other naming must pre-exist). */
export async function ensureJournal(ldap: Ldap, settings: LdapSettings): Promise<void> {
  if ((await ldap.read(settings.journalDn, ['objectClass'])) !== undefined) return;
  const first = parseDn(settings.journalDn)?.[0];
  if (first?.type.toLowerCase() !== 'ou') {
    throw new CustosError(
      'CONFIG_INVALID',
      'connection.journalDn does not exist and is not an ou= Custos can create',
    );
  }
  try {
    await ldap.add(settings.journalDn, { objectClass: ['organizationalUnit'], ou: [first.value] });
  } catch (error) {
    if (ldapCode(error) !== LDAP.alreadyExists) throw error;
  }
}

export async function readJournal(
  ldap: Ldap,
  settings: LdapSettings,
  runId: string,
  stepId: string,
): Promise<Journaled | undefined> {
  const dn = childDn('cn', journalKey(runId, stepId), settings.journalDn);
  const entry = await ldap.read(dn, ['description']);
  const raw = entry?.text('description')[0];
  if (raw === undefined) return undefined;
  return { record: parseRecord(raw), raw, dn };
}

/** Writes a new record; undefined when one exists already (another attempt of the same step). */
export async function createRecord(
  ldap: Ldap,
  settings: LdapSettings,
  record: JournalRecord,
): Promise<Journaled | undefined> {
  const key = journalKey(record.run, record.step);
  const dn = childDn('cn', key, settings.journalDn);
  const raw = JSON.stringify(record);
  try {
    await ldap.add(dn, {
      objectClass: ['applicationProcess'],
      cn: [key],
      seeAlso: [record.account],
      description: [raw],
      ...(pendingOverlap(record) ? { ou: [OVERLAP_PENDING] } : {}),
    });
    return { record, raw, dn };
  } catch (error) {
    if (ldapCode(error) === LDAP.alreadyExists) return undefined;
    throw error;
  }
}

/** Replaces `from` by `to` if `from` is still the stored record (compare-and-swap). */
export async function swapRecord(ldap: Ldap, from: Journaled, to: JournalRecord): Promise<Journaled> {
  const raw = JSON.stringify(to);
  try {
    await ldap.modify(from.dn, [
      { operation: 'delete', type: 'description', values: [from.raw] },
      { operation: 'add', type: 'description', values: [raw] },
      { operation: 'replace', type: 'ou', values: pendingOverlap(to) ? [OVERLAP_PENDING] : [] },
    ]);
  } catch (error) {
    if (ldapCode(error) !== LDAP.noSuchAttribute) throw error;
    throw new CustosError(
      'TARGET_STATE_MISMATCH',
      `the journal of ${to.run}/${to.step} changed concurrently (another attempt of the same step)`,
      { retryable: true, cause: error },
    );
  }
  return { record: to, raw, dn: from.dn };
}

/** Records of rotations whose old password still awaits removal, for one account or all. */
export async function pendingOverlaps(
  ldap: Ldap,
  settings: LdapSettings,
  account?: string,
): Promise<Journaled[]> {
  const pending = new EqualityFilter({ attribute: 'ou', value: OVERLAP_PENDING });
  const filter =
    account === undefined
      ? pending
      : new AndFilter({ filters: [pending, new EqualityFilter({ attribute: 'seeAlso', value: account })] });
  const entries = await ldap.search(settings.journalDn, 'one', filter, ['description']);
  return entries.flatMap((e) => {
    const raw = e.text('description')[0];
    return raw === undefined ? [] : [{ record: parseRecord(raw), raw, dn: e.dn }];
  });
}

/** Marked from the intent on (a crash after the change must not leave the old password forever). */
function pendingOverlap(record: JournalRecord): boolean {
  return record.state !== 'rolled_back' && record.overlap !== undefined && !record.overlap.done;
}

function parseRecord(raw: string): JournalRecord {
  try {
    const value = JSON.parse(raw) as Partial<JournalRecord>;
    if (value.v === 1 && typeof value.run === 'string' && typeof value.state === 'string') {
      return value as JournalRecord;
    }
  } catch {
    // fall through
  }
  throw new CustosError('TARGET_STATE_MISMATCH', 'a Custos journal entry on the directory is malformed');
}
