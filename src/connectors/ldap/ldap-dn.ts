/**
 * Distinguished names, built and compared without interpolating unescaped text (RFC 4514).
 *
 * ldapts has DN/RDN builders, but its escaping follows RFC 2253 (it wraps values with leading or
 * trailing spaces in double quotes, which RFC 4514 no longer allows, and leaves NUL alone), so the
 * connector escapes values itself. Account and group names are first held to a closed grammar
 * (see NAME below), so escaping is a second line of defence, not the only one.
 */
import { CustosError } from '../../core/errors.js';

export interface Rdn {
  /** The attribute type as written (a descriptor such as `cn`, or a numeric OID). */
  readonly type: string;
  /** The unescaped value. */
  readonly value: string;
}

/**
 * Escapes an attribute value for a DN string (RFC 4514 §2.4): the characters it requires, plus
 * `=` (allowed by the `special` production), so a value can never open a second attribute.
 */
export function escapeDnValue(value: string): string {
  const chars = Array.from(value); // code points: every character RFC 4514 escapes is ASCII
  let out = '';
  for (const [i, ch] of chars.entries()) {
    const edge = (i === 0 && (ch === ' ' || ch === '#')) || (i === chars.length - 1 && ch === ' ');
    if (ch === '\0') out += '\\00';
    else if (edge || '"+,;<=>\\'.includes(ch)) out += `\\${ch}`;
    else out += ch;
  }
  return out;
}

/** `type=value` with the value escaped; `type` must be a plain descriptor. */
export function rdn(type: string, value: string): string {
  if (!/^[A-Za-z][A-Za-z0-9-]*$/.test(type)) throw new TypeError(`not an attribute descriptor: ${type}`);
  return `${type}=${escapeDnValue(value)}`;
}

/** The DN of a child entry: `type=value,parent` (parent is an already valid DN string). */
export function childDn(type: string, value: string, parent: string): string {
  return `${rdn(type, value)},${parent}`;
}

const TYPE = /^(?:[A-Za-z][A-Za-z0-9-]*|\d+(?:\.\d+)+)$/;

/**
 * Parses a DN string into its RDNs (single-valued RDNs only; a `+` multi-valued RDN or a `#` hex
 * value gives undefined). Attacker-controlled when it comes from the directory (member values).
 */
export function parseDn(dn: string): Rdn[] | undefined {
  if (dn === '') return [];
  const rdns: Rdn[] = [];
  let i = 0;
  while (i <= dn.length) {
    const eq = dn.indexOf('=', i);
    if (eq < 0) return undefined;
    const type = dn.slice(i, eq);
    if (!TYPE.test(type) || dn[eq + 1] === '#') return undefined;
    const parsed = readValue(dn, eq + 1);
    if (parsed === undefined) return undefined;
    rdns.push({ type, value: parsed.value });
    if (parsed.end === dn.length) return rdns;
    if (dn[parsed.end] !== ',') return undefined; // '+' (multi-valued RDN) is not supported
    i = parsed.end + 1;
  }
  return undefined;
}

function readValue(dn: string, start: number): { value: string; end: number } | undefined {
  const bytes: number[] = [];
  let i = start;
  while (i < dn.length) {
    const ch = String.fromCodePoint(dn.codePointAt(i)!); // whole code points: astral ones are two units
    if (ch === ',' || ch === '+') break;
    if ('";<>'.includes(ch) || ch === '\0') return undefined;
    if (ch !== '\\') {
      bytes.push(...Buffer.from(ch, 'utf8'));
      i += ch.length;
      continue;
    }
    const next = dn.slice(i + 1, i + 3);
    if (/^[0-9A-Fa-f]{2}$/.test(next)) {
      bytes.push(parseInt(next, 16));
      i += 3;
    } else if (next !== '' && ' "#+,;<=>\\'.includes(next[0]!)) {
      bytes.push(next.charCodeAt(0));
      i += 2;
    } else {
      return undefined;
    }
  }
  const buffer = Buffer.from(bytes);
  const value = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  try {
    return { value: value.decode(buffer), end: i };
  } catch {
    return undefined;
  }
}

/**
 * A canonical form for comparing DNs: types and values lower-cased (the naming attributes used
 * here — cn, ou, dc, o, uid — all match case-insensitively), values re-escaped one way.
 */
export function normalizeDn(dn: string): string | undefined {
  const rdns = parseDn(dn);
  return rdns === undefined ? undefined : canonical(rdns);
}

function canonical(rdns: readonly Rdn[]): string {
  return rdns.map((r) => `${r.type.toLowerCase()}=${escapeDnValue(r.value.toLowerCase())}`).join(',');
}

export function sameDn(a: string, b: string): boolean {
  const na = normalizeDn(a);
  return na !== undefined && na === normalizeDn(b);
}

/** Whether `dn` is an immediate child of `parent`. */
export function isChildOf(dn: string, parent: string): boolean {
  const rdns = parseDn(dn);
  const up = parseDn(parent);
  if (rdns === undefined || up === undefined || rdns.length !== up.length + 1) return false;
  return canonical(rdns.slice(1)) === canonical(up);
}

/**
 * Account and group names: the value of the `cn` that names the entry. Letters, digits, `.`, `_`,
 * `-` and single inner spaces, 1 to 64 characters, starting with a letter or digit.
 */
const NAME = /^[A-Za-z0-9](?:[A-Za-z0-9._-]| (?=[A-Za-z0-9._-])){0,63}$/;

export function isEntryName(text: string): boolean {
  return NAME.test(text);
}

/** The account's name (identity.externalId, attacker-controlled): INPUT_INVALID unless it fits. */
export function assertAccountName(name: string): string {
  if (!isEntryName(name)) {
    throw new CustosError(
      'INPUT_INVALID',
      `account name ${JSON.stringify(name.slice(0, 80))} must be 1-64 letters, digits, '.', '_', '-' or inner spaces`,
    );
  }
  return name;
}

/** A configured DN (base, groups, bind, policy): CONFIG_INVALID unless it parses. */
export function assertConfigDn(dn: string, what: string): string {
  const rdns = parseDn(dn);
  if (rdns === undefined || rdns.length === 0) {
    throw new CustosError('CONFIG_INVALID', `${what} is not a valid DN (RFC 4514, single-valued RDNs)`);
  }
  return dn;
}
