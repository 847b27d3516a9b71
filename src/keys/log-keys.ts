/** The files of a Custos installation's keys directory. */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { CustosError } from '../core/errors.js';
import { decodeBase64Strict } from '../core/bytes.js';
import { generateNoteKey, parseSignerKey, type NoteSigner } from '../ledger/note/index.js';
import { fingerprintKeyFrom, type FingerprintKey } from '../ledger/secrets.js';
import { createPrivateFile, readPrivateFile } from './key-files.js';

export interface KeyPaths {
  readonly logKey: string;
  readonly logVkey: string;
  readonly fingerprintKey: string;
  readonly signerState: string;
}

export function keyPaths(keysDir: string): KeyPaths {
  return {
    logKey: path.join(keysDir, 'log.key'),
    logVkey: path.join(keysDir, 'log.vkey'),
    fingerprintKey: path.join(keysDir, 'fingerprint.key'),
    signerState: path.join(keysDir, 'log.signer-state.json'),
  };
}

/** Creates the log signing key (C2SP note key named after the origin) and the fingerprint key. */
export function createLogKeys(keysDir: string, origin: string): { verifierKey: string } {
  const paths = keyPaths(keysDir);
  fs.mkdirSync(keysDir, { recursive: true, mode: 0o700 });
  const { signerKey, verifierKey } = generateNoteKey(origin);
  createPrivateFile(paths.logKey, `${signerKey}\n`);
  createPrivateFile(paths.fingerprintKey, `${crypto.randomBytes(32).toString('base64')}\n`);
  fs.writeFileSync(paths.logVkey, `${verifierKey}\n`, { mode: 0o644 });
  return { verifierKey };
}

export function hasLogKey(keysDir: string): boolean {
  return fs.existsSync(keyPaths(keysDir).logKey);
}

export function loadLogSigner(keysDir: string): NoteSigner {
  const text = readPrivateFile(keyPaths(keysDir).logKey);
  try {
    return parseSignerKey(text);
  } catch (cause) {
    throw new CustosError('KEY_MALFORMED', 'the log key file is not a valid signer key', { cause });
  }
}

export function loadFingerprintKey(keysDir: string): FingerprintKey {
  const bytes = decodeBase64Strict(readPrivateFile(keyPaths(keysDir).fingerprintKey));
  if (bytes === undefined) throw new CustosError('KEY_MALFORMED', 'the fingerprint key file is not base64');
  return fingerprintKeyFrom(bytes);
}
