/**
 * c2sp.org/tlog-witness wire formats. An add-checkpoint request body is
 *
 *   old <decimal size>\n
 *   <base64 proof hash>\n        (0 to 63 lines)
 *   \n
 *   <signed checkpoint note>
 *
 * and a 409 Conflict body (Content-Type text/x.tlog.size) is the witness's size in decimal and '\n'.
 * Request bodies are attacker-controlled: every failure is INPUT_INVALID.
 */
import { decodeBase64Strict, encodeBase64, fromUtf8 } from '../core/bytes.js';
import { CustosError } from '../core/errors.js';
import { HASH_SIZE } from '../ledger/merkle/index.js';
import { MAX_PROOF_HASHES } from './witness.js';
import type { AddCheckpointRequest } from './witness.js';

export const MAX_BODY_BYTES = 64 * 1024;
export const TLOG_SIZE_CONTENT_TYPE = 'text/x.tlog.size';

const OLD_LINE = /^old (0|[1-9][0-9]{0,15})$/;
const SIZE_BODY = /^(0|[1-9][0-9]{0,15})\n$/;

export function formatAddCheckpointBody(request: AddCheckpointRequest): string {
  const proof = request.proof.map((hash) => `${encodeBase64(hash)}\n`).join('');
  return `old ${request.oldSize}\n${proof}\n${request.checkpoint}`;
}

export function parseAddCheckpointBody(body: Uint8Array | string): AddCheckpointRequest {
  const text = typeof body === 'string' ? body : fromUtf8(body);
  if (text === undefined) throw malformed('body is not UTF-8');
  const end = text.indexOf('\n\n');
  if (end < 0) throw malformed('no empty line before the checkpoint');
  const [oldLine = '', ...proofLines] = text.slice(0, end).split('\n');
  const old = OLD_LINE.exec(oldLine);
  const oldSize = Number(old?.[1]);
  if (old === null || !Number.isSafeInteger(oldSize)) throw malformed('first line must be "old <size>"');
  if (proofLines.length > MAX_PROOF_HASHES) throw malformed(`more than ${MAX_PROOF_HASHES} proof lines`);
  const proof = proofLines.map((line, i) => {
    const hash = decodeBase64Strict(line);
    if (hash?.length !== HASH_SIZE) throw malformed(`proof line ${i + 1} is not base64 of a 32-byte hash`);
    return hash;
  });
  return { oldSize, proof, checkpoint: text.slice(end + 2) };
}

export function formatSizeBody(size: number): string {
  return `${size}\n`;
}

/** The size in a text/x.tlog.size body, or undefined when it is not one. */
export function parseSizeBody(text: string): number | undefined {
  const size = SIZE_BODY.test(text) ? Number(text.slice(0, -1)) : NaN;
  return Number.isSafeInteger(size) ? size : undefined;
}

function malformed(why: string): CustosError {
  return new CustosError('INPUT_INVALID', `add-checkpoint request: ${why}`);
}
