/**
 * Names that reach a SCIM service: userNames (the identity's externalId), group displayNames (from
 * entitlements) and resource ids (chosen by the service). All are attacker-controlled on one side or
 * the other, and end up in filters (RFC 7644 §3.4.2.2) and URL paths.
 *
 * Filter values are JSON strings in the RFC grammar, so `quote` escapes with JSON rules. Deployed
 * services do not all unescape `\"` and `\\` (scimmy 1.3, the test peer, does not), and a filter a
 * service mis-parses may match another account: names containing `"` or `\` or control characters
 * are therefore refused outright, and every lookup checks the returned name again.
 */
import { CustosError } from '../../core/errors.js';

/** Printable text without `"`, `\` or control characters, no surrounding blanks. */
const USER_NAME = /^(?! )[^"\\\p{Cc}\p{Cf}\p{Zl}\p{Zp}]{1,256}(?<! )$/u;
/** Group displayNames as entitlements name them: a closed, conservative set. */
const GROUP_NAME = /^[A-Za-z0-9](?:[A-Za-z0-9 ._:@+/()-]{0,126}[A-Za-z0-9._)-])?$/;
/** Resource ids a service assigned: opaque, but never able to leave a path segment or a filter. */
const RESOURCE_ID = /^[A-Za-z0-9._~:@+=-]{1,256}$/;

export function assertUserName(name: string): string {
  if (!USER_NAME.test(name)) {
    throw new CustosError(
      'INPUT_INVALID',
      'the identity externalId is not a userName the SCIM connector accepts ' +
        '(1–256 printable characters, no quotes, backslashes or surrounding blanks)',
      { details: { field: 'identity.externalId' } },
    );
  }
  return name;
}

export function assertGroupName(name: string): string {
  if (!GROUP_NAME.test(name)) {
    throw new CustosError('INPUT_INVALID', `group name ${JSON.stringify(name.slice(0, 80))} is invalid`, {
      details: { group: name.slice(0, 80) },
    });
  }
  return name;
}

/** A service-assigned id, checked before it is put in a path or a filter. */
export function assertResourceId(id: unknown, what: string): string {
  if (typeof id !== 'string' || !RESOURCE_ID.test(id)) {
    throw new CustosError('TARGET_STATE_MISMATCH', `the SCIM service returned ${what} with an unusable id`);
  }
  return id;
}

/** `attr eq "value"` with the value as a JSON string (RFC 7644 §3.4.2.2 compValue). */
export function eqFilter(attribute: string, value: string): string {
  return `${attribute} eq ${JSON.stringify(value)}`;
}

/** userName and displayName are caseExact=false (RFC 7643 §4.1.1, §4.2): compare accordingly. */
export function sameName(a: string, b: string): boolean {
  return a.normalize('NFC').toLowerCase() === b.normalize('NFC').toLowerCase();
}
