import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isCustosError } from '../../core/errors.js';
import type { ErrorCode } from '../../core/errors.js';
import { computeKeyId, isValidKeyName, parseVerifierKey } from './keys.js';
import { generateNoteKey, parseSignerKey } from './signer.js';

interface KeyVector {
  vkey: string;
  skey?: string;
}
interface VkeyParseVector {
  vkey: string;
  ok: boolean;
  alg?: number;
  why?: string;
}
const vectors = JSON.parse(
  readFileSync(
    new URL('../../../test/fixtures/vectors/signed-note/signed-note-vectors.json', import.meta.url),
    'utf8',
  ),
) as { keys: Record<string, KeyVector>; vkey_parse: VkeyParseVector[] };

function codeOf(fn: () => unknown): ErrorCode | 'no error' | 'not a CustosError' {
  try {
    fn();
    return 'no error';
  } catch (err) {
    return isCustosError(err) ? err.code : 'not a CustosError';
  }
}

describe('verifier keys (vectors)', () => {
  for (const v of vectors.vkey_parse) {
    it(`${v.ok ? 'parses' : 'rejects'} ${v.vkey}${v.why === undefined ? '' : ` (${v.why})`}`, () => {
      if (!v.ok) {
        expect(codeOf(() => parseVerifierKey(v.vkey))).toBe('VKEY_MALFORMED');
        return;
      }
      const key = parseVerifierKey(v.vkey);
      expect(key.verifierKey).toBe(v.vkey);
      expect(key.name).toBe(v.vkey.split('+')[0]);
      expect(key.keyId.toString(16).padStart(8, '0')).toBe(v.vkey.split('+')[1]);
      expect(key.type).toBe(v.alg === 4 ? 'cosignature/v1' : 'ed25519');
      expect(key.publicKey).toHaveLength(32);
    });
  }

  for (const [name, k] of Object.entries(vectors.keys)) {
    it(`parses the ${name} vkey${k.skey === undefined ? '' : ' and derives it from the skey'}`, () => {
      const verifier = parseVerifierKey(k.vkey);
      expect(verifier.name).toBe(name);
      if (k.skey === undefined) return;
      const signer = parseSignerKey(k.skey);
      expect(signer.verifierKey).toBe(k.vkey);
      expect(signer.keyId).toBe(verifier.keyId);
      const msg = new TextEncoder().encode('hello\n');
      expect(verifier.verify(msg, signer.sign(msg))).toBe(true);
    });
  }
});

describe('verifier key edge cases', () => {
  const peter = vectors.keys.PeterNeumann!.vkey;
  const [name, hex, b64] = peter.split('+') as [string, string, string];

  it.each([
    ['empty', ''],
    ['uppercase hex key ID', `${name}+${hex.toUpperCase()}+${b64}`],
    ['short key ID', `${name}+${hex.slice(1)}+${b64}`],
    ['empty name', `+${hex}+${b64}`],
    ['name with a space', `Peter Neumann+${hex}+${b64}`],
    ['name with NBSP', `Peter\u00a0Neumann+${hex}+${b64}`],
    ['name with U+3000', `Peter\u3000+${hex}+${b64}`],
    ['trailing newline', `${peter}\n`],
    ['non-canonical base64 padding bits', `${name}+${hex}+${b64.slice(0, -1)}X`],
    ['unpadded base64 with junk', `${peter}!`],
    ['lone surrogate name', `\ud800+${hex}+${b64}`],
  ])('rejects %s', (_label, text) => {
    expect(codeOf(() => parseVerifierKey(text))).toBe('VKEY_MALFORMED');
  });

  it('keeps "+" inside the base64 part (splits on the first two "+" only)', () => {
    const sum = vectors.keys['sum.golang.org']!.vkey;
    expect(sum.split('+').length).toBeGreaterThan(3);
    expect(parseVerifierKey(sum).name).toBe('sum.golang.org');
  });

  it('computes key IDs as SHA-256(name || 0x0A || type || pub)[:4]', () => {
    const key = parseVerifierKey(peter);
    expect(computeKeyId('PeterNeumann', 0x01, key.publicKey)).toBe(0xc74f20a3);
    expect(computeKeyId('PeterNeumann', 0x04, key.publicKey)).not.toBe(0xc74f20a3);
  });

  it('validates names like golang.org/x/mod/sumdb/note', () => {
    expect(isValidKeyName('example.com/log')).toBe(true);
    expect(isValidKeyName('ünïcödé')).toBe(true);
    for (const bad of ['', 'a+b', 'a b', 'a\tb', 'a\u2028b', 'a\u0085b', 'a\u0001b']) {
      expect(isValidKeyName(bad)).toBe(false);
    }
  });
});

describe('signer keys', () => {
  const skey = vectors.keys.PeterNeumann!.skey!;
  const [, , name, hex, b64] = skey.split('+') as [string, string, string, string, string];

  it.each([
    ['missing PRIVATE+KEY prefix', `${name}+${hex}+${b64}`],
    ['wrong key ID', `PRIVATE+KEY+${name}+c74f20a4+${b64}`],
    ['other name', `PRIVATE+KEY+Peter+${hex}+${b64}`],
    ['truncated seed', `PRIVATE+KEY+${name}+${hex}+${b64.slice(0, -4)}`],
    ['unknown type byte', `PRIVATE+KEY+${name}+${hex}+Z${b64.slice(1)}`],
    ['bad base64', `PRIVATE+KEY+${name}+${hex}+${b64}=`],
    ['missing key', `PRIVATE+KEY+${name}+${hex}`],
  ])('rejects %s with SKEY_MALFORMED and no key material in the message', (_label, text) => {
    try {
      parseSignerKey(text);
      expect.unreachable();
    } catch (err) {
      expect(isCustosError(err, 'SKEY_MALFORMED')).toBe(true);
      expect((err as Error).message).not.toContain(b64.slice(4, 20));
    }
  });
});

describe('generateNoteKey', () => {
  it.each(['ed25519', 'cosignature/v1'] as const)('round-trips a %s key pair', (type) => {
    const { signerKey, verifierKey } = generateNoteKey('example.com/key', type);
    const signer = parseSignerKey(signerKey);
    const verifier = parseVerifierKey(verifierKey);
    expect(signer.type).toBe(type);
    expect(verifier.type).toBe(type);
    expect(signer.verifierKey).toBe(verifierKey);
    expect(verifierKey).toMatch(/^example\.com\/key\+[0-9a-f]{8}\+[AB]/);
    expect(signerKey.startsWith('PRIVATE+KEY+example.com/key+')).toBe(true);
  });

  it('gives cosignature keys a type-0x04 key ID', () => {
    const key = parseVerifierKey(generateNoteKey('w', 'cosignature/v1').verifierKey);
    expect(key.keyId).toBe(computeKeyId('w', 0x04, key.publicKey));
  });

  it('refuses invalid names', () => {
    expect(() => generateNoteKey('bad name')).toThrow(TypeError);
    expect(() => generateNoteKey('')).toThrow(TypeError);
  });
});
