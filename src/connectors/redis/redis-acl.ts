/**
 * An ACL user as `ACL GETUSER` describes it (Redis 7, RESP2), in a canonical form, and the rules
 * that recreate it. Canonical because Redis does not keep the rules it was given: it describes a
 * user's commands from its permission bitmap (`-@all +@read -keys +get`), listing the per-command
 * exceptions in no stable order. Sorting the tokens by class — `±@all`, `+@category`,
 * `-@category`, then commands by name (a command before its subcommands) — gives one form per set
 * of permissions, and applying the tokens in that order after `reset` recreates them.
 *
 * Passwords are SHA-256 hashes (hex), as Redis stores them: never a password.
 */
import crypto from 'node:crypto';
import { mismatch } from './redis-errors.js';

export interface AclSelector {
  readonly keys: readonly string[];
  readonly channels: readonly string[];
  readonly commands: readonly string[];
}

export interface AclUser extends AclSelector {
  readonly enabled: boolean;
  /** Flags other than on/off (`sanitize-payload`, …), sorted. */
  readonly flags: readonly string[];
  readonly passwords: readonly string[];
  readonly selectors: readonly AclSelector[];
}

/** Flags a managed user may carry; `nopass` (any password logs in) is never restored. */
const RESTORABLE_FLAGS = new Set(['sanitize-payload', 'skip-sanitize-payload']);

/** Parses the flat RESP2 reply of ACL GETUSER (null when the user does not exist). */
export function parseGetUser(reply: unknown): AclUser | undefined {
  if (reply === null) return undefined;
  const fields = pairs(reply);
  const flags = strings(fields.get('flags'));
  return {
    enabled: flags.includes('on'),
    flags: flags.filter((f) => f !== 'on' && f !== 'off').sort(),
    passwords: strings(fields.get('passwords')),
    ...selectorOf(fields),
    selectors: Array.isArray(fields.get('selectors'))
      ? (fields.get('selectors') as unknown[]).map((s) => selectorOf(pairs(s)))
      : [],
  };
}

function selectorOf(fields: Map<string, unknown>): AclSelector {
  return {
    keys: words(fields.get('keys')).sort(),
    channels: words(fields.get('channels')).sort(),
    commands: canonicalCommands(
      typeof fields.get('commands') === 'string' ? (fields.get('commands') as string) : '',
    ),
  };
}

function pairs(reply: unknown): Map<string, unknown> {
  if (!Array.isArray(reply)) throw mismatch('ACL GETUSER answered in an unexpected shape');
  const map = new Map<string, unknown>();
  for (let i = 0; i + 1 < reply.length; i += 2) map.set(String(reply[i]), reply[i + 1]);
  return map;
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.map(String) : [];
}

function words(value: unknown): string[] {
  return typeof value === 'string' ? value.split(' ').filter((w) => w !== '') : [];
}

function rank(token: string): number {
  if (token === '+@all' || token === '-@all') return 0;
  if (token.startsWith('+@')) return 1;
  if (token.startsWith('-@')) return 2;
  return 3;
}

/** Redis's command description as canonical tokens (see the file comment). */
export function canonicalCommands(description: string): string[] {
  return words(description).sort((a, b) => {
    const r = rank(a) - rank(b);
    if (r !== 0) return r;
    const [x, y] = [a.slice(1), b.slice(1)];
    return x < y ? -1 : x > y ? 1 : 0;
  });
}

/** The rules that make a user exactly `user` again, applied in one ACL SETUSER. */
export function restoreRules(user: AclUser): string[] {
  for (const flag of user.flags) {
    if (!RESTORABLE_FLAGS.has(flag))
      throw mismatch(`the prior state carries the flag ${flag}, never restored`);
  }
  const selector = (s: AclSelector) =>
    `(${[...s.keys, 'resetchannels', ...s.channels, ...s.commands].join(' ')})`;
  return [
    'reset',
    user.enabled ? 'on' : 'off',
    ...user.flags,
    ...user.passwords.map((h) => `#${h}`),
    ...user.keys,
    'resetchannels',
    ...user.channels,
    ...user.commands,
    ...user.selectors.map(selector),
  ];
}

/** What Redis stores for a password: its SHA-256, lower-case hex. */
export function sha256Hex(password: string): string {
  return crypto.createHash('sha256').update(password, 'utf8').digest('hex');
}

/** A fresh password: 32 random bytes, base64url (43 characters). */
export function newPassword(): string {
  return crypto.randomBytes(32).toString('base64url');
}

/** Reads a user; `undefined` when it does not exist. */
export async function readAclUser(
  call: (...argv: string[]) => Promise<unknown>,
  user: string,
): Promise<AclUser | undefined> {
  return parseGetUser(await call('ACL', 'GETUSER', user));
}
