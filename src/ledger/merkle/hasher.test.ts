import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { toHex } from '../../core/bytes.js';
import { EMPTY_ROOT, HASH_SIZE, leafHash, nodeHash } from './hasher.js';

function plainSha256(...parts: Uint8Array[]): string {
  const h = createHash('sha256');
  for (const part of parts) h.update(part);
  return h.digest('hex');
}

function bytes(length: number, seed: number): Uint8Array {
  return Uint8Array.from({ length }, (_, i) => (i * 31 + seed) % 256);
}

describe('RFC 6962 hasher', () => {
  it('EMPTY_ROOT is SHA-256 of nothing and HASH_SIZE is 32', () => {
    expect(toHex(EMPTY_ROOT)).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(HASH_SIZE).toBe(32);
  });

  it('leafHash is SHA-256(0x00 || data) for every input size, including the streamed path', () => {
    const lengths = [0, 1, 31, 32, 33, 64, 300, 1023, 1024, 1025, 5000, 16_382, 16_383, 16_384, 100_000];
    for (const length of lengths) {
      const data = bytes(length, length);
      expect(toHex(leafHash(data)), `length ${length}`).toBe(plainSha256(Uint8Array.of(0), data));
    }
  });

  it('nodeHash is SHA-256(0x01 || left || right)', () => {
    const left = bytes(32, 1);
    const right = bytes(32, 2);
    expect(toHex(nodeHash(left, right))).toBe(plainSha256(Uint8Array.of(1), left, right));
    expect(toHex(nodeHash(right, left))).toBe(plainSha256(Uint8Array.of(1), right, left));
  });

  it('nodeHash refuses children that are not 32 bytes (misuse: TypeError)', () => {
    expect(() => nodeHash(bytes(31, 0), bytes(32, 0))).toThrow(TypeError);
    expect(() => nodeHash(bytes(32, 0), bytes(33, 0))).toThrow(TypeError);
  });

  it('results are fresh plain Uint8Arrays: never aliasing scratch space, and slice() copies', () => {
    const a = leafHash(bytes(10, 1));
    const aHex = toHex(a);
    const b = nodeHash(a, a);
    const bHex = toHex(b);
    leafHash(bytes(20_000, 2));
    leafHash(bytes(2000, 3));
    nodeHash(b, b);
    expect(toHex(a)).toBe(aHex);
    expect(toHex(b)).toBe(bHex);
    for (const h of [a, b, EMPTY_ROOT, leafHash(bytes(20_000, 4))]) {
      expect(Buffer.isBuffer(h)).toBe(false);
      expect(h.length).toBe(HASH_SIZE);
    }
    const copy = a.slice();
    copy[0] = copy[0]! ^ 1;
    expect(toHex(a)).toBe(aHex);
  });
});
