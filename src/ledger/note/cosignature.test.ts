import { describe, expect, it } from 'vitest';
import { isCustosError } from '../../core/errors.js';
import type { ErrorCode } from '../../core/errors.js';
import { decodeBase64Strict, encodeBase64 } from '../../core/bytes.js';
import { formatCheckpoint } from './checkpoint.js';
import { addCosignatures, cosign, verifyCosignature } from './cosignature.js';
import { computeKeyId, cosignatureMessage, parseVerifierKey } from './keys.js';
import { generateNoteKey, parseSignerKey } from './signer.js';
import { formatSignatureLine, openNote, parseNote, parseSignatureLine, signNote } from './signed-note.js';

function codeOf(fn: () => unknown): ErrorCode | 'no error' | 'not a CustosError' {
  try {
    fn();
    return 'no error';
  } catch (err) {
    return isCustosError(err) ? err.code : 'not a CustosError';
  }
}

const logKeys = generateNoteKey('example.com/log');
const witnessKeys = generateNoteKey('witness.example.com/w1', 'cosignature/v1');
const log = parseSignerKey(logKeys.signerKey);
const logVerifier = parseVerifierKey(logKeys.verifierKey);
const witness = parseSignerKey(witnessKeys.signerKey);
const witnessVerifier = parseVerifierKey(witnessKeys.verifierKey);
const body = formatCheckpoint({ origin: 'example.com/log', size: 42, rootHash: new Uint8Array(32).fill(1) });
const T = 1_700_000_000;

/** Re-encodes a signature line after editing its payload (key ID || timestamp || signature). */
function editLine(line: string, edit: (payload: Uint8Array) => void): string {
  const [prefix, b64] = splitLast(line);
  const payload = decodeBase64Strict(b64)!.slice();
  edit(payload);
  return `${prefix} ${encodeBase64(payload)}\n`;
}
function splitLast(line: string): [string, string] {
  const trimmed = line.trimEnd();
  const at = trimmed.lastIndexOf(' ');
  return [trimmed.slice(0, at), trimmed.slice(at + 1)];
}

describe('cosignature/v1', () => {
  it('round-trips: cosign, add to the signed checkpoint, open and verify', () => {
    const line = cosign(body, witness, T);
    expect(line.startsWith('\u2014 witness.example.com/w1 ')).toBe(true);
    expect(decodeBase64Strict(splitLast(line)[1])).toHaveLength(4 + 8 + 64);
    expect(verifyCosignature(body, line, witnessVerifier)).toEqual({ timestamp: T });

    const cosigned = addCosignatures(signNote(body, [log]), [line]);
    expect(cosigned).toBe(`${signNote(body, [log])}${line}`);
    const opened = openNote(cosigned, [logVerifier, witnessVerifier]);
    expect(opened.verified.map((k) => k.name)).toEqual(['example.com/log', 'witness.example.com/w1']);
    const entry = parseNote(cosigned).signatures[1]!;
    expect(verifyCosignature(opened.text, entry, witnessVerifier)).toEqual({ timestamp: T });
    // Only the log trusted: the witness line is exposed as unverified.
    expect(openNote(cosigned, [logVerifier]).unverified.map((s) => s.name)).toEqual([
      'witness.example.com/w1',
    ]);
  });

  it('signs the c2sp.org/tlog-cosignature message exactly', () => {
    const line = cosign(body, witness, T);
    const payload = decodeBase64Strict(splitLast(line)[1])!;
    const message = new TextEncoder().encode(`cosignature/v1\ntime ${T}\n${body}`);
    expect(new Uint8Array(cosignatureMessage(BigInt(T), new TextEncoder().encode(body)))).toEqual(message);
    expect(Buffer.from(payload.subarray(4, 12)).readBigUInt64BE()).toBe(BigInt(T));
    expect(Buffer.from(payload.subarray(0, 4)).readUInt32BE()).toBe(witness.keyId);
    expect(witness.keyId).toBe(computeKeyId(witness.name, 0x04, witness.publicKey));
  });

  it('reads the timestamp layout of the C2SP spec example cosignature', () => {
    const example =
      'example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n\n' +
      '\u2014 example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n' +
      '\u2014 witness.example.com/w1 jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWXEhZCB9dlrDJsX3b2oyin1nPZqhf5nNo0xUe+mbIUBkBIfZ+qnA==\n';
    const sig = parseNote(example).signatures[1]!;
    expect(sig.signature).toHaveLength(72);
    expect(Buffer.from(sig.signature.subarray(0, 8)).readBigUInt64BE()).toBe(1679315147n);
  });

  it('rejects a tampered timestamp or body with COSIGNATURE_INVALID', () => {
    const line = cosign(body, witness, T);
    const later = editLine(line, (p) => {
      new DataView(p.buffer).setBigUint64(4, BigInt(T + 1));
    });
    expect(codeOf(() => verifyCosignature(body, later, witnessVerifier))).toBe('COSIGNATURE_INVALID');
    const otherBody = body.replace('\n42\n', '\n43\n');
    expect(codeOf(() => verifyCosignature(otherBody, line, witnessVerifier))).toBe('COSIGNATURE_INVALID');
    const withExtension = `${body}extension\n`;
    expect(codeOf(() => verifyCosignature(withExtension, line, witnessVerifier))).toBe('COSIGNATURE_INVALID');
    const forgedSig = editLine(line, (p) => (p[20] = p[20]! ^ 1));
    expect(codeOf(() => verifyCosignature(body, forgedSig, witnessVerifier))).toBe('COSIGNATURE_INVALID');
    // Inside a note the known witness's bad signature rejects the whole note.
    const cosigned = addCosignatures(signNote(body, [log]), [later]);
    expect(codeOf(() => openNote(cosigned, [logVerifier, witnessVerifier]))).toBe('NOTE_SIGNATURE_INVALID');
  });

  it('rejects verification with an Ed25519 note key (type 0x01) of the same public key', () => {
    const id = computeKeyId(witness.name, 0x01, witness.publicKey).toString(16).padStart(8, '0');
    const asNoteKey = parseVerifierKey(
      `${witness.name}+${id}+${encodeBase64(Uint8Array.of(0x01, ...witness.publicKey))}`,
    );
    const line = cosign(body, witness, T);
    expect(codeOf(() => verifyCosignature(body, line, asNoteKey))).toBe('COSIGNATURE_INVALID');
    // Within a note the 0x04 key ID does not match the 0x01 key: the cosignature is simply unknown.
    const cosigned = addCosignatures(signNote(body, [log]), [line]);
    expect(openNote(cosigned, [logVerifier, asNoteKey]).unverified).toHaveLength(1);
    expect(codeOf(() => openNote(cosigned, [asNoteKey]))).toBe('NOTE_UNVERIFIED');
  });

  it('rejects a cosignature from another witness and a plain note signature', () => {
    const line = cosign(body, witness, T);
    const other = parseVerifierKey(generateNoteKey('witness.example.com/w1', 'cosignature/v1').verifierKey);
    expect(codeOf(() => verifyCosignature(body, line, other))).toBe('COSIGNATURE_UNKNOWN_WITNESS');
    const noteSig = parseNote(signNote(body, [log])).signatures[0]!;
    expect(codeOf(() => verifyCosignature(body, noteSig, witnessVerifier))).toBe(
      'COSIGNATURE_UNKNOWN_WITNESS',
    );
    const relabelled = { ...noteSig, name: witness.name, keyId: witness.keyId };
    expect(codeOf(() => verifyCosignature(body, relabelled, witnessVerifier))).toBe('COSIGNATURE_INVALID');
    for (const bad of ['', line.slice(0, -1), line.replace('\u2014', '-'), `${line}${line}`]) {
      expect(codeOf(() => verifyCosignature(body, bad, witnessVerifier))).toBe('COSIGNATURE_INVALID');
    }
    expect(codeOf(() => verifyCosignature('not a checkpoint\n', line, witnessVerifier))).toBe(
      'CHECKPOINT_MALFORMED',
    );
  });

  it('accepts spec timestamps up to 2^63 - 1 in notes but only returns safe integers', () => {
    const lineAt = (t: bigint): string => {
      const payload = new Uint8Array(72);
      new DataView(payload.buffer).setBigUint64(0, t);
      payload.set(witness.sign(cosignatureMessage(t, new TextEncoder().encode(body))), 8);
      return formatSignatureLine(witness.name, witness.keyId, payload);
    };
    const big = lineAt(2n ** 60n);
    expect(openNote(addCosignatures(signNote(body, [log]), [big]), [witnessVerifier]).verified).toHaveLength(
      1,
    );
    expect(codeOf(() => verifyCosignature(body, big, witnessVerifier))).toBe('COSIGNATURE_INVALID');
    const tooBig = addCosignatures(signNote(body, [log]), [lineAt(2n ** 63n)]);
    expect(codeOf(() => openNote(tooBig, [witnessVerifier]))).toBe('NOTE_SIGNATURE_INVALID');
    expect(verifyCosignature(body, lineAt(0n), witnessVerifier)).toEqual({ timestamp: 0 });
  });

  it('refuses misuse when cosigning', () => {
    expect(() => cosign(body, log, T)).toThrow(TypeError);
    for (const t of [-1, 1.5, Number.NaN, 2 ** 53]) expect(() => cosign(body, witness, t)).toThrow(TypeError);
    expect(codeOf(() => cosign('o\n01\nxx\n', witness, T))).toBe('CHECKPOINT_MALFORMED');
  });

  it('adds cosignatures idempotently, after the log signature, within the signature cap', () => {
    const note = signNote(body, [log]);
    const line = cosign(body, witness, T);
    const once = addCosignatures(note, [line]);
    expect(addCosignatures(once, [cosign(body, witness, T + 5)])).toBe(once);
    expect(parseSignatureLine(line).name).toBe(witness.name);
    expect(codeOf(() => addCosignatures(note, ['garbage\n']))).toBe('COSIGNATURE_INVALID');
    expect(codeOf(() => addCosignatures(note, [formatSignatureLine('w', 1, new Uint8Array(64))]))).toBe(
      'COSIGNATURE_INVALID',
    );
    expect(codeOf(() => addCosignatures(signNote('not a checkpoint\n', [log]), [line]))).toBe(
      'CHECKPOINT_MALFORMED',
    );
    const many = Array.from({ length: 100 }, (_, i) => formatSignatureLine(`w${i}`, i, new Uint8Array(72)));
    expect(codeOf(() => addCosignatures(note, many))).toBe('NOTE_MALFORMED');
    expect(parseNote(addCosignatures(note, many.slice(0, 99))).signatures).toHaveLength(100);
  });
});
