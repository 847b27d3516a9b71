/**
 * The run engine's keys, kept beside the log key: the authority key that signs each run's
 * delegated credential (connectors verify it), and the built-in token issuer's signing key
 * (downstream services verify tokens against its JWKS, so it must outlive the process). Private
 * JWK files, mode 0600, created on first use and never overwritten.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { JWK } from 'jose';
import { CustosError } from '../core/errors.js';
import { authorityKeyFromJwk, generateAuthorityKey, type AuthorityKey } from '../authority/index.js';
import {
  generateTokenSigningJwk,
  tokenSigningKeyFromJwk,
  type TokenSigningKey,
} from '../connectors/tokens/index.js';
import { createPrivateFile, readPrivateFile } from './key-files.js';

export interface RunKeys {
  readonly authority: AuthorityKey;
  readonly tokens: TokenSigningKey;
}

export function runKeyPaths(keysDir: string): { readonly authority: string; readonly tokens: string } {
  return {
    authority: path.join(keysDir, 'authority.jwk'),
    tokens: path.join(keysDir, 'tokens-signing.jwk'),
  };
}

async function jwkFile(file: string, generate: () => Promise<JWK>): Promise<JWK> {
  if (!fs.existsSync(file)) {
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    createPrivateFile(file, `${JSON.stringify(await generate())}\n`);
  }
  try {
    return JSON.parse(readPrivateFile(file)) as JWK;
  } catch (cause) {
    throw new CustosError('KEY_MALFORMED', `${path.basename(file)} is not a JSON Web Key`, { cause });
  }
}

export async function loadOrCreateRunKeys(keysDir: string): Promise<RunKeys> {
  const paths = runKeyPaths(keysDir);
  try {
    const authority = await authorityKeyFromJwk(
      await jwkFile(paths.authority, async () => (await generateAuthorityKey()).privateJwk),
    );
    const tokens = await tokenSigningKeyFromJwk(await jwkFile(paths.tokens, generateTokenSigningJwk));
    return { authority, tokens };
  } catch (e) {
    if (e instanceof CustosError) throw e;
    throw new CustosError('KEY_MALFORMED', 'a run key file does not hold an Ed25519 private key', {
      cause: e,
    });
  }
}
