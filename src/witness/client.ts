/**
 * The log side of c2sp.org/tlog-witness: submit a checkpoint with a consistency proof to a witness and
 * get its cosignature lines. A 409 Conflict is a normal answer (the witness holds another size: prove
 * consistency from that size and retry), returned as `{ kind: 'conflict', witnessSize }`. A 409 whose
 * size is the old size we sent means the witness holds another root at that size: CHECKPOINT_INCONSISTENT.
 *
 * Errors: WITNESS_UNKNOWN_LOG (404), CHECKPOINT_INCONSISTENT (422, same-size 409), WITNESS_REJECTED for
 * any other status, a malformed answer, or an unreachable witness (retryable for 5xx and network errors).
 */
import { CustosError } from '../core/errors.js';
import { parseNote, parseSignatureLine, verifyCosignature } from '../ledger/note/index.js';
import type { NoteVerifier } from '../ledger/note/index.js';
import { formatAddCheckpointBody, MAX_BODY_BYTES, parseSizeBody } from './protocol.js';
import type { AddCheckpointRequest } from './witness.js';

export type CosignatureResult =
  | { readonly kind: 'cosigned'; readonly lines: readonly string[] }
  | { readonly kind: 'conflict'; readonly witnessSize: number };

export interface RequestCosignatureOptions {
  /** Keep only (and require) cosignatures that verify with this witness key. */
  readonly witness?: NoteVerifier;
  readonly timeoutMs?: number;
}

/** POSTs to `${url}/add-checkpoint`, `url` being the witness's submission prefix. */
export async function requestCosignature(
  url: string,
  request: AddCheckpointRequest,
  options: RequestCosignatureOptions = {},
): Promise<CosignatureResult> {
  const endpoint = `${url.replace(/\/+$/, '')}/add-checkpoint`;
  let status: number;
  let text: string;
  try {
    const res = await fetch(endpoint, {
      method: 'POST',
      body: formatAddCheckpointBody(request),
      headers: { 'content-type': 'text/plain; charset=utf-8' },
      signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
    });
    status = res.status;
    text = await res.text();
  } catch (cause) {
    throw rejected(`witness ${endpoint} is unreachable`, null, true, cause);
  }
  if (text.length > MAX_BODY_BYTES) throw rejected('witness answer is too large', status, false);
  if (status === 200)
    return { kind: 'cosigned', lines: cosignatureLines(text, request.checkpoint, options.witness) };
  if (status === 409) {
    const witnessSize = parseSizeBody(text);
    if (witnessSize === undefined) throw rejected('witness sent a 409 without a size', status, false);
    if (witnessSize !== request.oldSize) return { kind: 'conflict', witnessSize };
    throw new CustosError('CHECKPOINT_INCONSISTENT', 'the witness holds another root at this size', {
      details: { status, witnessSize },
    });
  }
  const why = text.trim().slice(0, 200);
  if (status === 404)
    throw new CustosError('WITNESS_UNKNOWN_LOG', `witness: ${why}`, { details: { status } });
  if (status === 422)
    throw new CustosError('CHECKPOINT_INCONSISTENT', `witness: ${why}`, { details: { status } });
  throw rejected(`witness answered ${status}: ${why}`, status, status >= 500);
}

function cosignatureLines(text: string, checkpoint: string, witness: NoteVerifier | undefined): string[] {
  if (text.length === 0 || !text.endsWith('\n')) throw rejected('malformed cosignature response', 200, false);
  const lines = text
    .slice(0, -1)
    .split('\n')
    .map((line) => `${line}\n`);
  try {
    const sigs = lines.map(parseSignatureLine);
    if (witness === undefined) return lines;
    const body = parseNote(checkpoint).text;
    const ours = lines.filter((_, i) => sigs[i]!.name === witness.name && sigs[i]!.keyId === witness.keyId);
    for (const line of ours) verifyCosignature(body, line, witness);
    if (ours.length === 0) throw rejected('no cosignature from the expected witness key', 200, false);
    return ours;
  } catch (cause) {
    if (cause instanceof CustosError && cause.code === 'WITNESS_REJECTED') throw cause;
    throw rejected('the witness answered with an invalid cosignature', 200, false, cause);
  }
}

function rejected(message: string, status: number | null, retryable: boolean, cause?: unknown): CustosError {
  return new CustosError('WITNESS_REJECTED', message, { cause, retryable, details: { status } });
}
