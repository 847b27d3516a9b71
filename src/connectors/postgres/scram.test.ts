import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { newPassword, parseVerifier, scramVerifier } from './scram.js';

// RFC 7677 §3: the SCRAM-SHA-256 exchange for password "pencil". The verifier's keys must
// reproduce the server signature and, from the client proof, the stored key.
const SALT = Buffer.from('W22ZaJ0SNY7soEsUEjb6gQ==', 'base64');
const AUTH_MESSAGE = [
  'n=user,r=rOprNGfwEbeRWgbNEkqO',
  'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096',
  'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0',
].join(',');
const CLIENT_PROOF = 'dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=';
const SERVER_SIGNATURE = '6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=';

const hmac = (key: Buffer, text: string) => crypto.createHmac('sha256', key).update(text).digest();

describe('scramVerifier', () => {
  it('matches the RFC 7677 example exchange', () => {
    const verifier = scramVerifier('pencil', SALT);
    const m = /^SCRAM-SHA-256\$4096:W22ZaJ0SNY7soEsUEjb6gQ==\$([^:]+):(.+)$/.exec(verifier);
    expect(m).not.toBeNull();
    const storedKey = Buffer.from(m![1]!, 'base64');
    const serverKey = Buffer.from(m![2]!, 'base64');
    expect(hmac(serverKey, AUTH_MESSAGE).toString('base64')).toBe(SERVER_SIGNATURE);
    const signature = hmac(storedKey, AUTH_MESSAGE);
    const clientKey = Buffer.from(CLIENT_PROOF, 'base64').map((b, i) => b ^ signature[i]!);
    expect(crypto.createHash('sha256').update(clientKey).digest().equals(storedKey)).toBe(true);
  });

  it('uses a fresh 16-byte salt each time and round-trips through parseVerifier', () => {
    const a = scramVerifier('same');
    const b = scramVerifier('same');
    expect(a).not.toBe(b);
    expect(parseVerifier(a)?.salt.length).toBe(16);
    expect(parseVerifier(a)?.iterations).toBe(4096);
    expect(parseVerifier('md5abc')).toBeUndefined();
  });

  it('generates ASCII passwords of 32 random bytes', () => {
    expect(newPassword()).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });
});
