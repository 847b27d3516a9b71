/**
 * Private key files: created with mode 0600 in a 0700 directory, refused when readable by group
 * or others, written atomically (temp file, fsync, rename). The contents never reach a log or an
 * error message.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { CustosError } from '../core/errors.js';

export function writeFileAtomic(file: string, contents: string | Uint8Array, mode: number): void {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${crypto.randomBytes(6).toString('hex')}.tmp`;
  const fd = fs.openSync(tmp, 'wx', mode);
  try {
    fs.writeSync(fd, typeof contents === 'string' ? Buffer.from(contents, 'utf8') : contents);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
  const dir = fs.openSync(path.dirname(file), 'r');
  try {
    fs.fsyncSync(dir);
  } finally {
    fs.closeSync(dir);
  }
}

/** Creates a private file; refuses to overwrite one. */
export function createPrivateFile(file: string, contents: string): void {
  if (fs.existsSync(file))
    throw new CustosError('ALREADY_INITIALISED', `${file} already exists; not overwriting a key`);
  writeFileAtomic(file, contents, 0o600);
}

/** Reads a private file, refusing one that group or others may read. */
export function readPrivateFile(file: string): string {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch (cause) {
    throw new CustosError('KEY_MISSING', `key file ${file} not found: run \`custos init\``, { cause });
  }
  if ((stat.mode & 0o077) !== 0) {
    throw new CustosError('KEY_FILE_INSECURE', `key file ${file} is readable by others: chmod 600 it`, {
      details: { mode: (stat.mode & 0o777).toString(8) },
    });
  }
  return fs.readFileSync(file, 'utf8').trim();
}
