import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isCustosError } from '../../core/errors.js';
import type { ErrorCode } from '../../core/errors.js';
import { parseVerifierKey } from './keys.js';
import { generateNoteKey, parseSignerKey } from './signer.js';
import {
  formatSignatureLine,
  MAX_NOTE_SIGNATURES,
  openNote,
  parseNote,
  parseSignatureLine,
  signNote,
} from './signed-note.js';

interface SignVector {
  skey: string;
  text: string;
  want_note: string;
}
interface VerifyVector {
  desc: string;
  vkeys: string[];
  note: string;
  want: 'ok' | 'error';
  verified?: string[];
  unverified?: string[];
}
const vectors = JSON.parse(
  readFileSync(
    new URL('../../../test/fixtures/vectors/signed-note/signed-note-vectors.json', import.meta.url),
    'utf8',
  ),
) as { keys: Record<string, { vkey: string; skey?: string }>; sign: SignVector[]; verify: VerifyVector[] };

function codeOf(fn: () => unknown): ErrorCode | 'no error' | 'not a CustosError' {
  try {
    fn();
    return 'no error';
  } catch (err) {
    return isCustosError(err) ? err.code : 'not a CustosError';
  }
}

// The vector file only says 'error'; these are the codes this implementation chooses.
const EXPECTED_CODES: Record<string, ErrorCode> = {
  'no trusted key signed it': 'NOTE_UNVERIFIED',
  'corrupted signature from known key': 'NOTE_SIGNATURE_INVALID',
  'text tampered': 'NOTE_SIGNATURE_INVALID',
  'malformed: no signature block': 'NOTE_MALFORMED',
  'malformed: blank line but no signatures': 'NOTE_MALFORMED',
  'malformed: signature line missing final newline': 'NOTE_MALFORMED',
  'malformed: control character in text': 'NOTE_MALFORMED',
  'malformed: space in key name': 'NOTE_MALFORMED',
  'malformed: trailing non-signature line': 'NOTE_MALFORMED',
  'signature with known name but wrong key id is ignored -> no verifiable sig': 'NOTE_UNVERIFIED',
};

const peterSigner = parseSignerKey(vectors.keys.PeterNeumann!.skey!);
const peter = parseVerifierKey(vectors.keys.PeterNeumann!.vkey);
const quote = vectors.sign[0]!.text;
const quoteNote = vectors.sign[0]!.want_note;

describe('signNote (vectors)', () => {
  for (const v of vectors.sign) {
    it(`reproduces ${v.want_note.split('\n').at(-2)!.slice(0, 24)}… byte for byte`, () => {
      expect(signNote(v.text, [parseSignerKey(v.skey)])).toBe(v.want_note);
    });
  }
});

describe('openNote (vectors)', () => {
  for (const v of vectors.verify) {
    it(`${v.desc}: ${v.want}`, () => {
      const verifiers = v.vkeys.map(parseVerifierKey);
      for (const input of [v.note, new TextEncoder().encode(v.note)]) {
        if (v.want === 'error') {
          const code = codeOf(() => openNote(input, verifiers));
          expect(code).toBe(EXPECTED_CODES[v.desc] ?? code);
          expect(code).toMatch(/^NOTE_/);
          continue;
        }
        const opened = openNote(input, verifiers);
        expect(opened.verified.map((k) => k.name)).toEqual(v.verified);
        expect(opened.unverified.map((s) => s.name)).toEqual(v.unverified ?? []);
        expect(v.note.startsWith(opened.text)).toBe(true);
      }
    });
  }
});

describe('signed note format', () => {
  it('signs with several keys and verifies each', () => {
    const other = parseSignerKey(generateNoteKey('example.com/other').signerKey);
    const note = signNote(quote, [peterSigner, other]);
    const opened = openNote(note, [peter, parseVerifierKey(other.verifierKey)]);
    expect(opened.verified.map((k) => k.name)).toEqual(['PeterNeumann', 'example.com/other']);
    expect(opened.text).toBe(quote);
  });

  it('keeps blank lines inside the text (splits at the last blank line)', () => {
    const text = 'Ognuno sta solo sul cuor della terra\n\ned è subito sera.\n\n';
    const opened = openNote(signNote(text, [peterSigner]), [peter]);
    expect(opened.text).toBe(text);
  });

  it('exposes unknown signatures and rejects them on request', () => {
    const stranger = parseSignerKey(generateNoteKey('stranger').signerKey);
    const note = signNote(quote, [peterSigner, stranger]);
    const opened = openNote(note, [peter]);
    expect(opened.unverified).toEqual([expect.objectContaining({ name: 'stranger', keyId: stranger.keyId })]);
    expect(codeOf(() => openNote(note, [peter], { rejectUnknown: true }))).toBe('NOTE_UNKNOWN_KEY');
  });

  it('treats a same-name key with another ID as unknown, and a bad known signature as fatal', () => {
    const impostor = parseSignerKey(generateNoteKey('PeterNeumann').signerKey);
    const note = signNote(quote, [impostor, peterSigner]);
    expect(openNote(note, [peter]).unverified.map((s) => s.keyId)).toEqual([impostor.keyId]);
    const forged = quoteNote.replace('x08go', 'x08gp');
    expect(codeOf(() => openNote(forged, [peter]))).toBe('NOTE_UNVERIFIED'); // key ID changed
    const sigLine = quoteNote.split('\n').at(-2)!;
    const flipped = quoteNote.replace(
      sigLine,
      sigLine.slice(0, 40) + (sigLine[40] === 'A' ? 'B' : 'A') + sigLine.slice(41),
    );
    expect(codeOf(() => openNote(flipped, [peter]))).toBe('NOTE_SIGNATURE_INVALID');
  });

  it('rejects a cosignature/v1 signer in signNote and ambiguous verifier lists', () => {
    const witness = parseSignerKey(generateNoteKey('w', 'cosignature/v1').signerKey);
    expect(() => signNote(quote, [witness])).toThrow(TypeError);
    expect(() => signNote(quote, [])).toThrow(TypeError);
    const fake = { ...peter, verifierKey: 'other' };
    expect(() => openNote(quoteNote, [peter, fake])).toThrow(TypeError);
    expect(openNote(quoteNote, [peter, peter]).verified).toHaveLength(1);
  });

  it.each([
    ['empty', ''],
    ['text without final newline', 'abc'],
    ['control character', 'a\u0007b\n'],
    ['carriage return', 'a\r\n'],
    ['lone surrogate', '\ud800\n'],
  ])('refuses to sign %s', (_label, text) => {
    expect(codeOf(() => signNote(text, [peterSigner]))).toBe('NOTE_MALFORMED');
  });
});

describe('malformed notes are NOTE_MALFORMED', () => {
  const sigLine = quoteNote.slice(quote.length + 1);
  const line = (name: string, bytes: Uint8Array): string => formatSignatureLine(name, 0x01020304, bytes);

  it.each([
    ['empty input', ''],
    ['truncated note', quoteNote.slice(0, -10)],
    ['truncated to the blank line', quoteNote.slice(0, quote.length + 1)],
    ['missing blank line', quote + sigLine],
    ['bad base64', quoteNote.replace('x08go/', 'x08go?')],
    ['non-canonical base64 padding bits', quoteNote.replace('nAM=', 'nAN=')],
    ['hyphen instead of em dash', quoteNote.replace('\u2014', '-')],
    ['missing space after the dash', quoteNote.replace('\u2014 ', '\u2014')],
    ['no space before the signature', quoteNote.replace('PeterNeumann ', 'PeterNeumann')],
    ['double space', quoteNote.replace('PeterNeumann ', 'PeterNeumann  ')],
    ['name with "+"', quote + '\n' + line('a+b', new Uint8Array(64))],
    ['signature shorter than 5 bytes', quote + '\n' + line('a', new Uint8Array(0))],
    ['CRLF line endings', quoteNote.replaceAll('\n', '\r\n')],
    ['trailing blank line', quoteNote + '\n'],
  ])('%s', (_label, note) => {
    expect(codeOf(() => parseNote(note))).toBe('NOTE_MALFORMED');
    expect(codeOf(() => openNote(note, [peter]))).toBe('NOTE_MALFORMED');
  });

  it('rejects non-UTF-8 bytes, overlong encodings and a lone surrogate string', () => {
    const bytes = new TextEncoder().encode(quoteNote);
    for (const bad of [[0xff], [0xc0, 0xaf], [0xed, 0xa0, 0x80]]) {
      const mutated = Uint8Array.from([...bytes.subarray(0, 5), ...bad, ...bytes.subarray(5)]);
      expect(codeOf(() => openNote(mutated, [peter]))).toBe('NOTE_MALFORMED');
    }
    expect(codeOf(() => openNote('\ud800' + quoteNote, [peter]))).toBe('NOTE_MALFORMED');
  });

  it('does not drop a leading byte order mark (it is part of the signed text)', () => {
    const bytes = new TextEncoder().encode(quoteNote);
    const withBom = Uint8Array.from([0xef, 0xbb, 0xbf, ...bytes]);
    expect(parseNote(withBom).text.startsWith('\ufeff')).toBe(true);
    expect(codeOf(() => openNote(withBom, [peter]))).toBe('NOTE_SIGNATURE_INVALID');
  });

  it(`accepts ${MAX_NOTE_SIGNATURES} signatures and rejects ${MAX_NOTE_SIGNATURES + 1}`, () => {
    const filler = line('filler', new Uint8Array(64));
    const max = quoteNote + filler.repeat(MAX_NOTE_SIGNATURES - 1);
    expect(openNote(max, [peter]).unverified).toHaveLength(MAX_NOTE_SIGNATURES - 1);
    expect(codeOf(() => openNote(max + filler, [peter]))).toBe('NOTE_MALFORMED');
  });

  it('parses single signature lines strictly', () => {
    expect(parseSignatureLine(quoteNote.slice(quote.length + 1)).name).toBe('PeterNeumann');
    for (const bad of [sigLine.slice(0, -1), sigLine + sigLine, sigLine + '\n', '\u2014 x\n']) {
      expect(codeOf(() => parseSignatureLine(bad))).toBe('NOTE_MALFORMED');
    }
  });
});
