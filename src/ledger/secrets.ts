/**
 * Keeping sensitive values out of the log.
 * - Secrets enter records only as keyed fingerprints: HMAC-SHA-256 under a per-installation key,
 *   so equal secrets can be correlated by Custos but not brute-forced by a reader of the log.
 * - Personal data enters as a salted commitment SHA-256(salt || value); the cleartext and salt
 *   live outside the log (the vault), so deleting them erases the data without breaking a proof.
 * - A guard rejects records whose payload carries a field that looks like a raw secret.
 */
import crypto from 'node:crypto';
import { CustosError } from '../core/errors.js';
import type { JsonValue } from '../core/canonical-json.js';

export const FINGERPRINT_PREFIX = 'hmac-sha256:';
export const COMMITMENT_PREFIX = 'commit:sha256:';

export interface FingerprintKey {
  readonly id: string;
  readonly key: Uint8Array;
}

export function fingerprintKeyFrom(key: Uint8Array): FingerprintKey {
  if (key.length < 32) throw new CustosError('KEY_MALFORMED', 'fingerprint key must be at least 32 bytes');
  const id = crypto
    .createHash('sha256')
    .update('custos fingerprint key\n')
    .update(key)
    .digest('hex')
    .slice(0, 8);
  return { id, key };
}

/** `hmac-sha256:<key id>:<base64url mac>` — safe to store, log and export. */
export function fingerprint(key: FingerprintKey, secret: string | Uint8Array): string {
  const mac = crypto.createHmac('sha256', key.key).update(secret).digest('base64url');
  return `${FINGERPRINT_PREFIX}${key.id}:${mac}`;
}

export interface Commitment {
  readonly commitment: string;
  readonly salt: Uint8Array;
}

export function commit(value: string, salt: Uint8Array = crypto.randomBytes(32)): Commitment {
  const digest = crypto.createHash('sha256').update(salt).update(value, 'utf8').digest('base64url');
  return { commitment: `${COMMITMENT_PREFIX}${digest}`, salt };
}

export function openCommitment(commitment: string, salt: Uint8Array, value: string): boolean {
  return commit(value, salt).commitment === commitment;
}

const SECRET_NAME =
  /(secret|password|passwd|passphrase|private_?key|privatekey|api_?key|apikey|token|credential)$/i;
const SECRET_VALUE = /-----BEGIN [A-Z ]*PRIVATE KEY-----|^PRIVATE\+KEY\+/;

/**
 * Throws RECORD_SECRET_FIELD when a payload field named like a secret holds anything other than
 * a fingerprint or a commitment, or when any string looks like a private key. Defence in depth:
 * callers are expected to fingerprint before building the record. (Every record of every append
 * passes here: the path of the offending field is only spelled out when there is one.)
 */
export function assertNoSecrets(value: JsonValue, path = 'payload'): void {
  const at = secretAt(value);
  if (at !== undefined) throw secretError(`${path}${at}`);
}

/** Where below `value` the first secret-looking field is (`.a[2].b`, '' for itself), if anywhere. */
function secretAt(value: JsonValue): string | undefined {
  if (typeof value === 'string') {
    // Both patterns contain "PRIVATE": most strings are ruled out without the regular expression.
    return value.includes('PRIVATE') && SECRET_VALUE.test(value) ? '' : undefined;
  }
  if (value === null || typeof value !== 'object') return undefined;
  if (Array.isArray(value)) {
    const items = value as readonly JsonValue[];
    for (let i = 0; i < items.length; i++) {
      const at = secretAt(items[i]!);
      if (at !== undefined) return `[${i}]${at}`;
    }
    return undefined;
  }
  const record = value as { readonly [k: string]: JsonValue };
  for (const key of Object.keys(record)) {
    const member = record[key]!;
    if (SECRET_NAME.test(key) && !isProtected(member)) return `.${key}`;
    const at = secretAt(member);
    if (at !== undefined) return `.${key}${at}`;
  }
  return undefined;
}

function isProtected(value: JsonValue): boolean {
  return (
    value === null ||
    (typeof value === 'string' &&
      (value.startsWith(FINGERPRINT_PREFIX) || value.startsWith(COMMITMENT_PREFIX)))
  );
}

function secretError(path: string): CustosError {
  return new CustosError('RECORD_SECRET_FIELD', `${path} looks like a secret: record a fingerprint instead`, {
    details: { path },
  });
}
