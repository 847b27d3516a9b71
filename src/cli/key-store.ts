/**
 * The approver's signing keys on this machine: one Ed25519 key per principal, a 0600 file in a 0700
 * directory (default ~/.config/custos/keys; --key-dir or CUSTOS_KEY_DIR). The private half never
 * leaves this machine: `custos approve` signs the run's request digest here and sends only the
 * signature; Custos stores only the public half.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CustosError } from '../core/errors.js';
import { isPrincipalId, principalKind } from '../inventory/index.js';
import {
  approverKeyId,
  generateApproverKey,
  signApproval,
  type ApprovalDecision,
  type GeneratedApproverKey,
  type SignedApproval,
} from '../approvals/index.js';
import { createPrivateFile, readPrivateFile } from '../keys/index.js';
import type { CliIo, ParsedArgs } from './io.js';

/** Where keys live: --key-dir, CUSTOS_KEY_DIR, $XDG_CONFIG_HOME/custos/keys, ~/.config/custos/keys. */
export function keyDir(args: ParsedArgs, io: CliIo): string {
  const explicit = args.flags['key-dir'] ?? io.env['CUSTOS_KEY_DIR'];
  if (explicit !== undefined) return path.resolve(io.cwd, explicit);
  const config = io.env['XDG_CONFIG_HOME'] ?? path.join(io.env['HOME'] ?? os.homedir(), '.config');
  return path.join(config, 'custos', 'keys');
}

/** `person:alice` -> `person_alice.key` (no colon in file names, which some systems refuse). */
function keyFile(dir: string, principal: string): string {
  return path.join(dir, `${principal.replace(':', '_')}.key`);
}

function checkSigner(principal: string): void {
  if (!isPrincipalId(principal) || principalKind(principal) === 'group') {
    throw new CustosError('INPUT_INVALID', 'a signing key belongs to a person:<name> or service:<name>');
  }
}

/** Creates the principal's key; refuses to overwrite an existing one (KEY files are never replaced). */
export function createSigningKey(dir: string, principal: string): GeneratedApproverKey {
  checkSigner(principal);
  const key = generateApproverKey(principal);
  createPrivateFile(keyFile(dir, principal), `${JSON.stringify(key)}\n`);
  return key;
}

/** Reads the principal's key, refusing a file others may read or one that is not what it claims. */
export function loadSigningKey(dir: string, principal: string): GeneratedApproverKey {
  checkSigner(principal);
  const file = keyFile(dir, principal);
  if (!fs.existsSync(file)) {
    throw new CustosError(
      'KEY_MISSING',
      `no signing key for ${principal} in ${dir}: run \`custos keys create --as ${principal}\``,
    );
  }
  let parsed: Partial<GeneratedApproverKey>;
  try {
    parsed = JSON.parse(readPrivateFile(file)) as Partial<GeneratedApproverKey>;
  } catch (e) {
    if (e instanceof CustosError) throw e;
    throw new CustosError('KEY_MALFORMED', `${file} is not a Custos signing key`);
  }
  const { privateKeyPem, publicKey, keyId } = parsed;
  if (
    parsed.principal !== principal ||
    typeof privateKeyPem !== 'string' ||
    typeof publicKey !== 'string' ||
    keyId !== approverKeyId(publicKey)
  ) {
    throw new CustosError('KEY_MALFORMED', `${file} is not ${principal}'s signing key`);
  }
  return { principal, privateKeyPem, publicKey, keyId };
}

/** Principals with a key in `dir` (public facts only). */
export function listSigningKeys(dir: string): { principal: string; keyId: string; file: string }[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((name) => /^(person|service)_.+\.key$/.test(name))
    .sort()
    .map((name) => {
      const principal = name.slice(0, -'.key'.length).replace('_', ':');
      return { principal, keyId: loadSigningKey(dir, principal).keyId, file: path.join(dir, name) };
    });
}

export interface ToSign {
  readonly runId: string;
  readonly digest: string;
  readonly decision: ApprovalDecision;
  readonly rationale: string;
}

/** Signs a run's request digest locally; the result carries the signature, never the key. */
export function signLocally(key: GeneratedApproverKey, what: ToSign, now: Date): SignedApproval {
  return signApproval({
    privateKeyPem: key.privateKeyPem,
    keyId: key.keyId,
    principal: key.principal,
    runId: what.runId,
    digest: what.digest,
    decision: what.decision,
    rationale: what.rationale,
    signedAt: now,
  });
}
