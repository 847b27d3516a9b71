/** Reading flags the same way in every command: missing or malformed values are INPUT_INVALID. */
import fs from 'node:fs';
import path from 'node:path';
import { CustosError } from '../core/errors.js';
import type { CliIo, ParsedArgs } from './io.js';

/** Flags that never take a value, across all commands. */
export const BOOLEAN_FLAGS = ['json', 'dry-run', 'record', 'no-postgres'];

export function required(args: ParsedArgs, name: string, usage: string): string {
  const value = args.flags[name];
  if (value === undefined || value === '')
    throw new CustosError('INPUT_INVALID', `--${name} is required\n${usage}`);
  return value;
}

export function positional(args: ParsedArgs, at: number, usage: string): string {
  const value = args.positional[at];
  if (value === undefined) throw new CustosError('INPUT_INVALID', usage);
  return value;
}

/** `--name a,b,c` as a list (empty entries dropped); undefined when absent. */
export function listFlag(args: ParsedArgs, name: string): string[] | undefined {
  const value = args.flags[name];
  return value === undefined
    ? undefined
    : value
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== '');
}

/** A positive integer flag within [min, max]. */
export function intFlag(
  args: ParsedArgs,
  name: string,
  min = 0,
  max = Number.MAX_SAFE_INTEGER,
): number | undefined {
  const value = args.flags[name];
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < min || n > max) {
    throw new CustosError('INPUT_INVALID', `--${name} must be an integer from ${min} to ${max}`);
  }
  return n;
}

/** The acting principal of a local command; undefined when neither --as nor CUSTOS_ACTOR says. */
export function actingPrincipal(args: ParsedArgs, io: CliIo): string | undefined {
  return args.flags['as'] ?? io.env['CUSTOS_ACTOR'];
}

/** The server a command talks to (--server or CUSTOS_SERVER); undefined: the local store. */
export function serverUrl(args: ParsedArgs, io: CliIo): string | undefined {
  return args.flags['server'] ?? io.env['CUSTOS_SERVER'];
}

export const wantsJson = (args: ParsedArgs): boolean => args.bools.has('json');

/** Refuses, before anything is filed, a --secret-out that could not take the secret afterwards. */
export function checkSecretOut(io: CliIo, out: string | undefined): void {
  if (out === undefined || out === '-') return;
  const file = path.resolve(io.cwd, out);
  if (fs.existsSync(file) || !fs.existsSync(path.dirname(file))) {
    throw new CustosError(
      'INPUT_INVALID',
      `--secret-out ${out}: the file must not exist and its directory must`,
    );
  }
}

/**
 * Writes an issued secret where the caller asked: a new 0600 file (never overwriting one), or
 * stdout for `-`. Returns where it went, for the summary (never the value).
 */
export function deliverSecret(io: CliIo, out: string, value: string): string {
  if (out === '-') {
    io.out(`${value}\n`);
    return 'stdout';
  }
  const file = path.resolve(io.cwd, out);
  try {
    fs.writeFileSync(file, `${value}\n`, { mode: 0o600, flag: 'wx' });
  } catch (cause) {
    throw new CustosError('EXPORT_TARGET_EXISTS', `cannot create ${out} (it must not exist yet)`, { cause });
  }
  return file;
}
