/**
 * Secrets never enter the inventory: a connection field named like a secret holds only a
 * reference, `env:NAME` (an environment variable of the process that connects) or `secret:NAME`
 * (the encrypted secret store). Anything else there is refused, and the refusal never repeats the
 * value (it may be the secret).
 */

const SECRET_WORDS = [
  'password',
  'passwd',
  'passphrase',
  'secret',
  'token',
  'credential',
  'apikey',
  'privatekey',
  'accesskey',
  'authorization',
];

/**
 * True for names like `password`, `clientSecret`, `api_key`, `sslkey`, `bearer-token`: erring on
 * the side of caution, `tokenUrl` counts too (rename it, or give it by reference).
 */
export function isSecretName(name: string): boolean {
  const s = name.toLowerCase().replace(/[^a-z0-9]/g, '');
  return SECRET_WORDS.some((w) => s.includes(w)) || s.endsWith('key') || s.endsWith('pwd') || s === 'pass';
}

const REFERENCE = /^(env:[A-Za-z_][A-Za-z0-9_]{0,127}|secret:[A-Za-z0-9][A-Za-z0-9._/-]{0,127})$/;

export function isSecretReference(value: unknown): value is string {
  return typeof value === 'string' && REFERENCE.test(value);
}

// A PEM private key or a C2SP signer key, wherever it appears.
const SECRET_SHAPED = /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----|^PRIVATE\+KEY\+/;

export function looksLikeSecret(value: string): boolean {
  return SECRET_SHAPED.test(value);
}

export const FINGERPRINT = /^hmac-sha256:[0-9a-f]{8}:[A-Za-z0-9_-]{43}$/;
