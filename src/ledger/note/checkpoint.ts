/**
 * c2sp.org/tlog-checkpoint note text ("body"): at least three non-empty '\n'-terminated lines:
 *   1. origin (non-empty; opaque, no URL syntax assumed),
 *   2. tree size in ASCII decimal without leading zeroes ("0" for the empty tree),
 *   3. base64 of the 32-byte RFC 6962 root hash,
 *   4+. optional, opaque, non-empty extension lines.
 * Sizes are limited to 2^53 - 1 so they stay exact JavaScript numbers; larger is CHECKPOINT_MALFORMED.
 */
import { CustosError } from '../../core/errors.js';
import { decodeBase64Strict, encodeBase64 } from '../../core/bytes.js';
import { hasControl, isWellFormed } from './text.js';

export interface Checkpoint {
  readonly origin: string;
  readonly size: number;
  readonly rootHash: Uint8Array;
  readonly extensions: readonly string[];
}

export interface CheckpointInput {
  readonly origin: string;
  readonly size: number;
  readonly rootHash: Uint8Array;
  readonly extensions?: readonly string[];
}

const DECIMAL = /^(0|[1-9][0-9]*)$/;

/** Formats a checkpoint body; rejects values that parseCheckpoint would not read back identically. */
export function formatCheckpoint(input: CheckpointInput): string {
  const extensions = input.extensions ?? [];
  if (!isValidLine(input.origin)) throw malformed('origin must be a non-empty line without controls');
  if (!Number.isSafeInteger(input.size) || input.size < 0)
    throw malformed('size must be a safe integer >= 0');
  if (input.rootHash.length !== 32) throw malformed('root hash must be 32 bytes');
  if (!extensions.every(isValidLine)) throw malformed('extension lines must be non-empty without controls');
  const lines = [input.origin, String(input.size), encodeBase64(input.rootHash), ...extensions];
  return lines.map((line) => `${line}\n`).join('');
}

/** Parses a checkpoint body (the note text, not the signatures). `text` is attacker-controlled. */
export function parseCheckpoint(text: string): Checkpoint {
  if (!text.endsWith('\n')) throw malformed('body must end with a newline');
  const lines = text.slice(0, -1).split('\n');
  if (lines.length < 3) throw malformed('body needs origin, size and root hash lines');
  const [origin, sizeText, rootText, ...extensions] = lines as [string, string, string, ...string[]];
  if (!lines.every(isValidLine)) throw malformed('lines must be non-empty, without controls');
  // 16 digits bound the work; Number.isSafeInteger then bounds the value at 2^53 - 1.
  if (sizeText.length > 16 || !DECIMAL.test(sizeText)) throw malformed('size must be decimal, no leading 0');
  const size = Number(sizeText);
  if (!Number.isSafeInteger(size)) throw malformed('size exceeds 2^53 - 1');
  const rootHash = decodeBase64Strict(rootText);
  if (rootHash?.length !== 32) throw malformed('root hash must be base64 of 32 bytes');
  return { origin, size, rootHash: rootHash.slice(), extensions };
}

function isValidLine(line: string): boolean {
  return line.length > 0 && !hasControl(line, false) && isWellFormed(line);
}

function malformed(why: string): CustosError {
  return new CustosError('CHECKPOINT_MALFORMED', `checkpoint: ${why}`);
}
