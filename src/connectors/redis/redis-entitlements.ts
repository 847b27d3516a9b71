/**
 * The entitlements a redis step may grant or revoke (`params.entitlements`), parsed by a strict,
 * allow-listed grammar into ACL rules. Attacker-controlled: they come from requests. No text of an
 * entitlement reaches Redis as written: each rule is rebuilt from parsed parts that match closed
 * patterns, so nothing can smuggle in another ACL rule (`reset`, `nopass`, `>password`, `allkeys`,
 * a selector, a second rule after a space).
 *
 *   entitlement := "keys:" pattern | "keys-read:" pattern | "keys-write:" pattern
 *                | "channels:" pattern
 *                | ("+" | "-") command ["|" subcommand] | ("+" | "-") "@" category
 *   pattern     := [A-Za-z0-9_.:/{}-]{1,128} ["*"]     (a literal prefix, at most a trailing *)
 *   command     := [a-z][a-z0-9_-]{0,39}               (lower case, as policies match it)
 *
 * Key patterns may not reach Custos's own keys (`custos:…`: the journal and its records), so
 * `keys:*` (all keys) is refused, and so is any prefix of `custos:`. Granting `+@all` or the
 * categories admin, dangerous and scripting is refused here; whether a named command exists and
 * falls in one of those categories is a question for the server (redis-catalog.ts). `-` rules
 * deny, so they may be granted freely but never revoked (revoking a deny would grant).
 */
import type { JsonValue } from '../../core/canonical-json.js';
import { CustosError } from '../../core/errors.js';

export type KeyAccess = 'rw' | 'read' | 'write';

export type Entitlement =
  | { readonly kind: 'keys'; readonly access: KeyAccess; readonly pattern: string }
  | { readonly kind: 'channels'; readonly pattern: string }
  | { readonly kind: 'command'; readonly sign: '+' | '-'; readonly name: string }
  | { readonly kind: 'category'; readonly sign: '+' | '-'; readonly name: string };

/** The prefix of every key Custos keeps on the target; no managed user may reach it. */
export const RESERVED_PREFIX = 'custos:';

/** Categories a grant may name. Others (all, admin, dangerous, scripting) are never granted. */
export const GRANTABLE_CATEGORIES: ReadonlySet<string> = new Set([
  'read',
  'write',
  'keyspace',
  'string',
  'list',
  'set',
  'sortedset',
  'hash',
  'stream',
  'bitmap',
  'hyperloglog',
  'geo',
  'pubsub',
  'fast',
  'slow',
  'blocking',
  'transaction',
  'connection',
]);

/** Denied after every grant, so that no granted category brings these commands along. */
export const NEVER_CATEGORIES = ['admin', 'dangerous', 'scripting'] as const;

const PATTERN = /^([A-Za-z0-9_.:/{}-]{1,128})(\*?)$/;
const COMMAND = /^([+-])([a-z][a-z0-9_-]{0,39})(?:\|([a-z][a-z0-9_-]{0,39}))?$/;
const CATEGORY = /^([+-])@([a-z]{1,32})$/;
const KEY_PREFIXES: Readonly<Record<string, KeyAccess>> = {
  keys: 'rw',
  'keys-read': 'read',
  'keys-write': 'write',
};

/** The entitlements of a step, deduplicated in order; `undefined` when it names none. */
export function entitlementsOf(params: Readonly<Record<string, JsonValue>>): Entitlement[] | undefined {
  const list = params['entitlements'];
  if (list === undefined) return undefined;
  if (!Array.isArray(list)) throw invalid('params.entitlements must be a list of strings');
  const seen = new Map<string, Entitlement>();
  for (const item of list as readonly JsonValue[]) {
    const e = parseEntitlement(item);
    seen.set(describeEntitlement(e), e);
  }
  return [...seen.values()];
}

export function parseEntitlement(text: JsonValue): Entitlement {
  if (typeof text !== 'string') throw invalid('every entitlement must be a string');
  if (text.length > 160) throw refused(text, 'is longer than 160 characters');
  const colon = text.indexOf(':');
  const head = colon < 0 ? '' : text.slice(0, colon);
  if (Object.hasOwn(KEY_PREFIXES, head) || head === 'channels') {
    const pattern = parsePattern(text, text.slice(colon + 1), head !== 'channels');
    return head === 'channels'
      ? { kind: 'channels', pattern }
      : { kind: 'keys', access: KEY_PREFIXES[head]!, pattern };
  }
  // Lower case only: policies match entitlements as written, so `+GET` must not slip past a rule
  // about `+get`.
  if (
    text !== text.toLowerCase() &&
    (CATEGORY.test(text.toLowerCase()) || COMMAND.test(text.toLowerCase()))
  ) {
    throw refused(text, `must be written in lower case (${text.toLowerCase()})`);
  }
  const category = CATEGORY.exec(text);
  if (category !== null) {
    const [, sign, name] = category as unknown as [string, '+' | '-', string];
    if (sign === '+' && !GRANTABLE_CATEGORIES.has(name)) {
      throw refused(text, `grants the category @${name}, which the connector never grants`);
    }
    return { kind: 'category', sign, name };
  }
  const command = COMMAND.exec(text);
  if (command !== null) {
    const [, sign, name, sub] = command as unknown as [string, '+' | '-', string, string | undefined];
    return { kind: 'command', sign, name: sub === undefined ? name : `${name}|${sub}` };
  }
  throw refused(
    text,
    'is none of keys:<pattern>, keys-read:<pattern>, keys-write:<pattern>, channels:<pattern>, ' +
      '+<command>, -<command>, +@<category>, -@<category>',
  );
}

function parsePattern(text: string, pattern: string, isKey: boolean): string {
  const m = PATTERN.exec(pattern);
  if (m === null) {
    throw refused(text, 'needs a pattern of [A-Za-z0-9_.:/{}-] with at most a trailing * (no other glob)');
  }
  const [, literal, star] = m as unknown as [string, string, string];
  if (
    isKey &&
    (literal.startsWith(RESERVED_PREFIX) || (star === '*' && RESERVED_PREFIX.startsWith(literal)))
  ) {
    throw refused(text, `may match Custos's own keys (${RESERVED_PREFIX}*), which no managed user may reach`);
  }
  return pattern;
}

/** The ACL rule of an entitlement, rebuilt from its parsed parts. */
export function ruleOf(e: Entitlement): string {
  switch (e.kind) {
    case 'keys':
      return `${e.access === 'rw' ? '' : e.access === 'read' ? '%R' : '%W'}~${e.pattern}`;
    case 'channels':
      return `&${e.pattern}`;
    case 'command':
      return `${e.sign}${e.name}`;
    case 'category':
      return `${e.sign}@${e.name}`;
  }
}

/** The canonical text of an entitlement (what outputs and records carry). */
export function describeEntitlement(e: Entitlement): string {
  switch (e.kind) {
    case 'keys':
      return `${e.access === 'rw' ? 'keys' : e.access === 'read' ? 'keys-read' : 'keys-write'}:${e.pattern}`;
    case 'channels':
      return `channels:${e.pattern}`;
    default:
      return ruleOf(e);
  }
}

/** Whether the entitlement adds permissions (a deny rule does not). */
export function grantsSomething(e: Entitlement): boolean {
  return e.kind === 'keys' || e.kind === 'channels' || e.sign === '+';
}

/** Names the entitlement, quoted and cut short: it is attacker-controlled text. */
export function refused(text: string, why: string): CustosError {
  const shown = JSON.stringify(text.slice(0, 80));
  return new CustosError('INPUT_INVALID', `entitlement ${shown} ${why}`, {
    details: { entitlement: text.slice(0, 80) },
  });
}

function invalid(message: string): CustosError {
  return new CustosError('INPUT_INVALID', message);
}
