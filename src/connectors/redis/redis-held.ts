/**
 * Whether a user holds entitlements, read back on the server: key patterns (with their read and
 * write access) and channel patterns from `ACL GETUSER` (Redis keeps them as given), command rules by `ACL DRYRUN` of every command they
 * cover (Redis does not keep those as given). A deny rule (`-get`, `-@dangerous`) is held when
 * none of its commands may run.
 */
import type { AclUser } from './redis-acl.js';
import type { AdminSession } from './redis-admin.js';
import { commandsOf, dryRun, type Catalog } from './redis-catalog.js';
import { ruleOf, type Entitlement } from './redis-entitlements.js';
import { kindsOf, parseKeyTokens } from './redis-keys.js';

export interface Holding {
  readonly entitlement: Entitlement;
  /** Of the `of` commands (or kinds of access to a pattern) it covers, how many are as it says. */
  readonly held: number;
  readonly of: number;
  /** Commands DRYRUN could not answer for (left out of `of`). */
  readonly unknown: number;
}

export async function holdings(
  session: AdminSession,
  user: string,
  state: AclUser,
  catalog: Catalog,
  entitlements: readonly Entitlement[],
): Promise<Holding[]> {
  const covered = entitlements.map((e) => commandsOf(catalog, e));
  const answers = await dryRun(session, user, covered.flat());
  const keys = parseKeyTokens(state.keys);
  let at = 0;
  return entitlements.map((e, i) => {
    if (e.kind === 'keys') {
      const has = keys.get(e.pattern) ?? { read: false, write: false };
      const want = kindsOf(e.access);
      const held = (want.read && has.read ? 1 : 0) + (want.write && has.write ? 1 : 0);
      return { entitlement: e, held, of: (want.read ? 1 : 0) + (want.write ? 1 : 0), unknown: 0 };
    }
    if (e.kind === 'channels') {
      return { entitlement: e, held: state.channels.includes(ruleOf(e)) ? 1 : 0, of: 1, unknown: 0 };
    }
    const mine = answers.slice(at, (at += covered[i]!.length));
    const want = e.sign === '+' ? 'permitted' : 'denied';
    const known = mine.filter((a) => a !== 'unknown');
    return {
      entitlement: e,
      held: known.filter((a) => a === want).length,
      of: known.length,
      unknown: mine.length - known.length,
    };
  });
}

/** Whether the holding is entirely held (`want` true) or entirely not held (`want` false). */
export function holdingIs(h: Holding, want: boolean): boolean {
  return want ? h.of > 0 && h.held === h.of : h.held === 0;
}

export function holdingDetail(h: Holding): string {
  const unknown = h.unknown > 0 ? ` (${h.unknown} not answered by ACL DRYRUN)` : '';
  return `${h.held} of ${h.of} as the rule says${unknown}`;
}
