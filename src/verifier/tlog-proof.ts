/**
 * c2sp.org/tlog-proof@v1: an offline-verifiable inclusion proof —
 *   "c2sp.org/tlog-proof@v1\n" ["extra <base64>\n"] "index <n>\n" <base64 hash per line> "\n" <signed checkpoint>
 */
import { CustosError } from '../core/errors.js';
import { decodeBase64Strict, encodeBase64 } from '../core/bytes.js';

const HEADER = 'c2sp.org/tlog-proof@v1';
const DECIMAL = /^(0|[1-9][0-9]*)$/;

export interface TlogProof {
  readonly index: number;
  readonly proof: readonly Uint8Array[];
  readonly checkpoint: string;
  readonly extra?: Uint8Array;
}

export function formatTlogProof(p: TlogProof): string {
  const lines = [HEADER];
  if (p.extra !== undefined) lines.push(`extra ${encodeBase64(p.extra)}`);
  lines.push(`index ${p.index}`, ...p.proof.map(encodeBase64));
  return `${lines.join('\n')}\n\n${p.checkpoint}`;
}

export function parseTlogProof(text: string): TlogProof {
  const bad = (why: string): CustosError => new CustosError('PROOF_MALFORMED', `tlog-proof: ${why}`);
  const split = text.indexOf('\n\n');
  if (split < 0) throw bad('missing blank line before the checkpoint');
  const lines = text.slice(0, split).split('\n');
  const checkpoint = text.slice(split + 2);
  if (lines[0] !== HEADER) throw bad('missing c2sp.org/tlog-proof@v1 header');
  let i = 1;
  let extra: Uint8Array | undefined;
  if (lines[i]?.startsWith('extra ')) {
    extra = decodeBase64Strict(lines[i]!.slice(6));
    if (extra === undefined) throw bad('extra is not base64');
    i++;
  }
  const indexLine = lines[i++];
  if (indexLine === undefined || !indexLine.startsWith('index ')) throw bad('missing index line');
  const digits = indexLine.slice(6);
  const index = Number(digits);
  if (!DECIMAL.test(digits) || !Number.isSafeInteger(index)) throw bad('index is not a decimal integer');
  const proof = lines.slice(i).map((line) => {
    const hash = decodeBase64Strict(line);
    if (hash?.length !== 32)
      throw new CustosError('HASH_LENGTH_INVALID', 'tlog-proof: a proof hash is not 32 bytes');
    return hash;
  });
  return { index, proof, checkpoint, ...(extra === undefined ? {} : { extra }) };
}
