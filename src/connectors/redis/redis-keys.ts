/**
 * Key patterns with their access, as Redis 7 keeps them: `~p` (read and write), `%R~p`, `%W~p`.
 * Redis merges the forms of one pattern (`%R~p` then `%W~p` reads back as `~p`), so granting or
 * revoking one kind of access works on the pattern's access set: revoking `keys-read:p` from a
 * user holding `~p` leaves `%W~p`. Patterns are compared as written: `app:*` is not taken to cover
 * `app:x`.
 */
import type { KeyAccess } from './redis-entitlements.js';

export interface Access {
  read: boolean;
  write: boolean;
}

const TOKEN = /^(?:%(R|W|RW)~|~)(.+)$/;

export function parseKeyTokens(tokens: readonly string[]): Map<string, Access> {
  const map = new Map<string, Access>();
  for (const token of tokens) {
    const m = TOKEN.exec(token);
    if (m === null) continue;
    const mode = m[1] ?? 'RW';
    const access = map.get(m[2]!) ?? { read: false, write: false };
    map.set(m[2]!, { read: access.read || mode.includes('R'), write: access.write || mode.includes('W') });
  }
  return map;
}

export function renderKeyTokens(map: ReadonlyMap<string, Access>): string[] {
  const tokens: string[] = [];
  for (const [pattern, a] of [...map].sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0))) {
    if (a.read && a.write) tokens.push(`~${pattern}`);
    else if (a.read) tokens.push(`%R~${pattern}`);
    else if (a.write) tokens.push(`%W~${pattern}`);
  }
  return tokens;
}

export function kindsOf(access: KeyAccess): Access {
  return { read: access !== 'write', write: access !== 'read' };
}

/** Adds (`grant`) or removes the kinds of access of `access` on `pattern`. */
export function changeAccess(
  map: Map<string, Access>,
  pattern: string,
  access: KeyAccess,
  grant: boolean,
): void {
  const kinds = kindsOf(access);
  const now = map.get(pattern) ?? { read: false, write: false };
  map.set(
    pattern,
    grant
      ? { read: now.read || kinds.read, write: now.write || kinds.write }
      : { read: now.read && !kinds.read, write: now.write && !kinds.write },
  );
}
