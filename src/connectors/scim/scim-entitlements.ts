/**
 * The entitlements a SCIM step may grant or revoke (`params.entitlements`), as requesters and the
 * inventory write them. Attacker-controlled: they come from requests. Entitlements are group
 * memberships — the way SCIM services commonly model roles and permissions, and the one that
 * every service with Groups supports; the User `entitlements` attribute is read-only or ignored
 * by many services and is not used.
 *
 *   entitlement := "group:" displayName
 *   displayName := [A-Za-z0-9] ( [A-Za-z0-9 ._:@+/()-]{0,126} [A-Za-z0-9._)-] )?
 *
 * The name reaches the service only as a quoted filter value (scim-names.ts). When the system's
 * connection lists `groups`, only those may be granted or revoked.
 */
import type { JsonValue } from '../../core/canonical-json.js';
import { CustosError } from '../../core/errors.js';
import { assertGroupName } from './scim-names.js';

const PREFIX = 'group:';
const MAX_ENTITLEMENTS = 50;

/**
 * The group names of `params.entitlements`, deduplicated (caseExact=false) in order; undefined when
 * the step names none (for `revoke`, that means the credential itself).
 */
export function entitlementsOf(
  params: Readonly<Record<string, JsonValue>>,
  allowed?: ReadonlySet<string>,
): string[] | undefined {
  const list = params['entitlements'];
  if (list === undefined) return undefined;
  if (!Array.isArray(list)) throw invalid('params.entitlements must be a list of strings');
  if (list.length > MAX_ENTITLEMENTS) throw invalid(`at most ${MAX_ENTITLEMENTS} entitlements per step`);
  const names = new Map<string, string>();
  for (const item of list as readonly JsonValue[]) {
    const name = parseEntitlement(item);
    if (allowed !== undefined && !allowed.has(name.toLowerCase())) {
      throw new CustosError('CONNECTOR_REFUSED', `group ${name} is not in this system's connection.groups`, {
        details: { group: name },
      });
    }
    if (!names.has(name.toLowerCase())) names.set(name.toLowerCase(), name);
  }
  return [...names.values()];
}

export function parseEntitlement(item: JsonValue): string {
  if (typeof item !== 'string') throw invalid('every entitlement must be a string');
  if (!item.startsWith(PREFIX)) {
    const shown = JSON.stringify(item.slice(0, 80));
    throw invalid(`entitlement ${shown} is not "group:<displayName>"`, item);
  }
  try {
    return assertGroupName(item.slice(PREFIX.length));
  } catch {
    const shown = JSON.stringify(item.slice(0, 80));
    throw invalid(
      `entitlement ${shown} names no valid group (letters, digits, space and ._:@+/()- only, 1–128 characters)`,
      item,
    );
  }
}

export function describeEntitlement(name: string): string {
  return `${PREFIX}${name}`;
}

function invalid(message: string, item?: string): CustosError {
  return new CustosError(
    'INPUT_INVALID',
    message,
    item === undefined ? {} : { details: { entitlement: item.slice(0, 80) } },
  );
}
