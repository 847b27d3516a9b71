/**
 * The entitlements an ldap step may grant or revoke (`params.entitlements`): memberships of
 * groupOfNames entries directly under the configured groups DN, named by their `cn`.
 * Attacker-controlled: they come from requests. The grammar is closed, so no DN, filter or
 * attribute text from a request reaches the directory:
 *
 *   entitlement := group-cn             (e.g. "reports-readers")
 *   group-cn    := 1-64 letters, digits, ".", "_", "-" or single inner spaces, not starting with
 *                  a space, "." or "-"
 *
 * A DN (`cn=admins,ou=groups,…`), a filter, or anything with `=`, `,`, `*`, `(` or a backslash is
 * refused with INPUT_INVALID: the groups DN is the allow-list, and a name can only select a child
 * of it. Whether that child exists and is a groupOfNames is checked on the directory at apply time.
 */
import type { JsonValue } from '../../core/canonical-json.js';
import { CustosError } from '../../core/errors.js';
import { childDn, isEntryName } from './ldap-dn.js';

export interface GroupGrant {
  /** The group's cn as requested. */
  readonly group: string;
  /** `cn=<escaped group>,<groupsDn>` */
  readonly dn: string;
}

/**
 * The groups of `params.entitlements`, deduplicated case-insensitively (cn matches that way);
 * `undefined` when the step names none (for `revoke`, that means the credential itself).
 */
export function groupsOf(
  params: Readonly<Record<string, JsonValue>>,
  groupsDn: string,
): GroupGrant[] | undefined {
  const list = params['entitlements'];
  if (list === undefined) return undefined;
  if (!Array.isArray(list)) throw invalid('params.entitlements must be a list of group names');
  const seen = new Map<string, GroupGrant>();
  for (const item of list as readonly JsonValue[]) {
    const group = parseGroup(item);
    if (!seen.has(group.toLowerCase()))
      seen.set(group.toLowerCase(), { group, dn: childDn('cn', group, groupsDn) });
  }
  return [...seen.values()];
}

export function parseGroup(item: JsonValue): string {
  if (typeof item !== 'string') throw invalid('every entitlement must be a string (a group cn)');
  if (item.length > 64) throw refused(item, 'is longer than 64 characters');
  if (!isEntryName(item)) {
    const why = /[=,]/.test(item)
      ? 'looks like a DN: name the group by its cn; only groups under the configured groups DN are granted'
      : "is not a group cn (letters, digits, '.', '_', '-', single inner spaces)";
    throw refused(item, why);
  }
  return item;
}

/** Names the entitlement, quoted and cut short: it is attacker-controlled text. */
function refused(text: string, why: string): CustosError {
  const shown = text.slice(0, 80);
  return new CustosError('INPUT_INVALID', `entitlement ${JSON.stringify(shown)} ${why}`, {
    details: { entitlement: shown },
  });
}

function invalid(message: string): CustosError {
  return new CustosError('INPUT_INVALID', message);
}
