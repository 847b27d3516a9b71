import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isCustosError } from '../../core/errors.js';
import { decodeBase64Strict } from '../../core/bytes.js';
import { formatCheckpoint, parseCheckpoint } from './checkpoint.js';
import { openNote } from './signed-note.js';
import { parseVerifierKey } from './keys.js';

interface BodyVector {
  desc: string;
  body: string;
  ok: boolean;
  leaf_data?: string;
}
interface VerifyVector {
  desc: string;
  vkeys: string[];
  note: string;
  checkpoint?: { origin: string; size: number; root_b64: string };
}
const vectors = JSON.parse(
  readFileSync(
    new URL('../../../test/fixtures/vectors/signed-note/signed-note-vectors.json', import.meta.url),
    'utf8',
  ),
) as { checkpoint_body: BodyVector[]; verify: VerifyVector[] };

function expectMalformed(text: string): void {
  try {
    parseCheckpoint(text);
    expect.unreachable(`parsed ${JSON.stringify(text)}`);
  } catch (err) {
    expect(isCustosError(err, 'CHECKPOINT_MALFORMED')).toBe(true);
  }
}

const root = new Uint8Array(32).fill(7);
const rootB64 = Buffer.from(root).toString('base64');

describe('checkpoint bodies (vectors)', () => {
  for (const v of vectors.checkpoint_body) {
    it(`${v.desc}: ${v.ok ? 'ok' : 'CHECKPOINT_MALFORMED'}`, () => {
      if (!v.ok) {
        expectMalformed(v.body);
        return;
      }
      const cp = parseCheckpoint(v.body);
      expect(formatCheckpoint(cp)).toBe(v.body);
      if (v.leaf_data !== undefined) {
        const leafHash = createHash('sha256')
          .update(Buffer.from([0]))
          .update(v.leaf_data)
          .digest();
        expect(Buffer.from(cp.rootHash).equals(leafHash)).toBe(true);
      }
    });
  }

  for (const v of vectors.verify.filter((x) => x.checkpoint !== undefined)) {
    it(`reads the checkpoint of the verified note "${v.desc}"`, () => {
      const { text } = openNote(v.note, v.vkeys.map(parseVerifierKey));
      const cp = parseCheckpoint(text);
      expect(cp.origin).toBe(v.checkpoint!.origin);
      expect(cp.size).toBe(v.checkpoint!.size);
      expect(cp.rootHash).toEqual(decodeBase64Strict(v.checkpoint!.root_b64));
      expect(cp.extensions).toEqual([]);
    });
  }
});

describe('checkpoint format', () => {
  it('round-trips extension lines and the size limits', () => {
    for (const size of [0, 1, 20852163, Number.MAX_SAFE_INTEGER]) {
      const text = formatCheckpoint({
        origin: 'example.com/log',
        size,
        rootHash: root,
        extensions: ['ext 1', 'x'],
      });
      expect(text).toBe(`example.com/log\n${size}\n${rootB64}\next 1\nx\n`);
      expect(parseCheckpoint(text)).toEqual({
        origin: 'example.com/log',
        size,
        rootHash: root,
        extensions: ['ext 1', 'x'],
      });
    }
  });

  it.each([
    ['empty', ''],
    ['no final newline', `o\n1\n${rootB64}`],
    ['two lines', `o\n1\n`],
    ['empty origin', `\n1\n${rootB64}\n`],
    ['size with leading zero', `o\n01\n${rootB64}\n`],
    ['size "00"', `o\n00\n${rootB64}\n`],
    ['negative size', `o\n-1\n${rootB64}\n`],
    ['size with plus sign', `o\n+1\n${rootB64}\n`],
    ['size with spaces', `o\n 1\n${rootB64}\n`],
    ['size in exponent form', `o\n1e3\n${rootB64}\n`],
    ['size 2^53', `o\n9007199254740992\n${rootB64}\n`],
    ['size 2^64', `o\n18446744073709551616\n${rootB64}\n`],
    ['31-byte root', `o\n1\n${Buffer.alloc(31).toString('base64')}\n`],
    ['33-byte root', `o\n1\n${Buffer.alloc(33).toString('base64')}\n`],
    ['unpadded root', `o\n1\n${rootB64.replace('=', '')}\n`],
    ['url-safe base64 root', `o\n1\n${Buffer.alloc(32, 0xfb).toString('base64url')}=\n`],
    ['empty extension line', `o\n1\n${rootB64}\n\next\n`],
    ['trailing blank line', `o\n1\n${rootB64}\n\n`],
    ['carriage return', `o\r\n1\n${rootB64}\n`],
    ['lone surrogate origin', `\udc00\n1\n${rootB64}\n`],
  ])('rejects %s', (_label, text) => {
    expectMalformed(text);
  });

  it.each([
    ['empty origin', { origin: '', size: 1, rootHash: root }],
    ['origin with newline', { origin: 'a\nb', size: 1, rootHash: root }],
    ['fractional size', { origin: 'o', size: 1.5, rootHash: root }],
    ['negative size', { origin: 'o', size: -1, rootHash: root }],
    ['unsafe size', { origin: 'o', size: 2 ** 53, rootHash: root }],
    ['31-byte root', { origin: 'o', size: 1, rootHash: new Uint8Array(31) }],
    ['empty extension', { origin: 'o', size: 1, rootHash: root, extensions: [''] }],
    ['extension with newline', { origin: 'o', size: 1, rootHash: root, extensions: ['a\n'] }],
  ])('refuses to format %s', (_label, input) => {
    expect(() => formatCheckpoint(input)).toThrow(expect.objectContaining({ code: 'CHECKPOINT_MALFORMED' }));
  });
});
