import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isCustosError } from '../../core/errors.js';
import { bytesEqual, utf8 } from '../../core/bytes.js';
import { formatCheckpoint, parseCheckpoint } from './checkpoint.js';
import { addCosignatures, cosign, verifyCosignature } from './cosignature.js';
import { parseVerifierKey } from './keys.js';
import { generateNoteKey, parseSignerKey } from './signer.js';
import { openNote, parseNote, signNote } from './signed-note.js';

const logKeys = generateNoteKey('example.com/log');
const witnessKeys = generateNoteKey('witness.example.com/w1', 'cosignature/v1');
const verifiers = [parseVerifierKey(logKeys.verifierKey), parseVerifierKey(witnessKeys.verifierKey)];
const witnessVerifier = verifiers[1]!;
const body = formatCheckpoint({
  origin: 'example.com/log',
  size: 1234,
  rootHash: new Uint8Array(32).map((_, i) => i * 7),
  extensions: ['ext'],
});
const signed = addCosignatures(signNote(body, [parseSignerKey(logKeys.signerKey)]), [
  cosign(body, parseSignerKey(witnessKeys.signerKey), 1_700_000_000),
]);
const original = utf8(signed);

type Mutation =
  | { kind: 'flip'; at: number; bit: number }
  | { kind: 'set'; at: number; byte: number }
  | { kind: 'insert'; at: number; bytes: Uint8Array }
  | { kind: 'insertText'; at: number; text: string }
  | { kind: 'delete'; at: number; count: number }
  | { kind: 'truncate'; at: number };

const anyCodeUnit = fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c));
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant('set' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
  fc.record({
    kind: fc.constant('insert' as const),
    at: fc.nat(),
    bytes: fc.uint8Array({ minLength: 1, maxLength: 6 }),
  }),
  fc.record({
    kind: fc.constant('insertText' as const),
    at: fc.nat(),
    text: fc.oneof(
      fc.constantFrom('\n', '\n\n', '\u2014 ', ' ', '+', '=', 'A', '0', '\ufeff'),
      fc.string({ unit: anyCodeUnit }),
    ),
  }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), count: fc.integer({ min: 1, max: 6 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
);

function apply(bytes: Uint8Array, m: Mutation): Uint8Array {
  const at = m.at % (bytes.length + 1);
  const head = bytes.subarray(0, at);
  const tail = bytes.subarray(at);
  switch (m.kind) {
    case 'flip':
    case 'set': {
      if (at === bytes.length) return bytes;
      const out = bytes.slice();
      out[at] = m.kind === 'flip' ? out[at]! ^ (1 << m.bit) : m.byte;
      return out;
    }
    case 'insert':
      return Uint8Array.from([...head, ...m.bytes, ...tail]);
    case 'insertText':
      return Uint8Array.from([...head, ...utf8(m.text), ...tail]);
    case 'delete':
      return Uint8Array.from([...head, ...bytes.subarray(at + m.count)]);
    case 'truncate':
      return bytes.slice(0, at);
  }
}

const NOTE_CODES = ['NOTE_MALFORMED', 'NOTE_SIGNATURE_INVALID', 'NOTE_UNVERIFIED'];
const COSIG_CODES = ['CHECKPOINT_MALFORMED', 'COSIGNATURE_INVALID', 'COSIGNATURE_UNKNOWN_WITNESS'];

function expectCode(fn: () => unknown, codes: readonly string[]): boolean {
  try {
    fn();
    return true;
  } catch (err) {
    if (!isCustosError(err)) throw err;
    expect(codes).toContain(err.code);
    return false;
  }
}

describe('fuzz: mutated signed checkpoints', () => {
  it('the unmutated note verifies fully', () => {
    const opened = openNote(original, verifiers);
    expect(opened.verified).toHaveLength(2);
    expect(opened.unverified).toHaveLength(0);
  });

  it('never crash and never verify unless unchanged', () => {
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 4 }), fc.boolean(), (mutations, asString) => {
        const mutated = mutations.reduce(apply, original);
        const unchanged = bytesEqual(mutated, original);
        // Feed the string form too (lossy for invalid UTF-8, which is fine: it is just another input).
        const input = asString ? new TextDecoder().decode(mutated) : mutated;
        const sameInput = asString ? input === signed : unchanged;
        let opened: ReturnType<typeof openNote> | undefined;
        expectCode(() => (opened = openNote(input, verifiers)), NOTE_CODES);
        if (sameInput) expect(opened?.verified).toHaveLength(2);
        if (opened !== undefined) {
          // The signed text can never change; a complete, fully verified note must be the original bytes.
          expect(opened.text).toBe(body);
          if (opened.verified.length === 2 && opened.unverified.length === 0) expect(sameInput).toBe(true);
        }
        let signatures: ReturnType<typeof parseNote>['signatures'] = [];
        let text = '';
        expectCode(() => ({ text, signatures } = parseNote(input)), ['NOTE_MALFORMED']);
        expectCode(() => parseCheckpoint(text), ['CHECKPOINT_MALFORMED']);
        for (const sig of signatures) {
          if (expectCode(() => verifyCosignature(text, sig, witnessVerifier), COSIG_CODES)) {
            expect(text).toBe(body);
          }
        }
      }),
      { numRuns: 1500 },
    );
  });

  it('arbitrary inputs to every parser give CustosErrors only', () => {
    const anyText = fc.string({ unit: anyCodeUnit, maxLength: 200 });
    fc.assert(
      fc.property(anyText, fc.uint8Array({ maxLength: 200 }), (text, bytes) => {
        expectCode(() => openNote(bytes, verifiers), NOTE_CODES);
        expectCode(() => openNote(text, verifiers), NOTE_CODES);
        expectCode(() => parseCheckpoint(text), ['CHECKPOINT_MALFORMED']);
        expectCode(() => parseVerifierKey(text), ['VKEY_MALFORMED']);
        expectCode(() => parseSignerKey(`PRIVATE+KEY+${text}`), ['SKEY_MALFORMED']);
        expectCode(() => verifyCosignature(body, text, witnessVerifier), COSIG_CODES);
      }),
      { numRuns: 1000 },
    );
  });
});
