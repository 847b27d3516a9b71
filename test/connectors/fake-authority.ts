/**
 * A stand-in for src/authority (the delegated-authority JWT issuer, written concurrently): it
 * mints opaque tokens and accepts one only for the exact scope it was minted for.
 */
import crypto from 'node:crypto';
import { CustosError } from '../../src/core/errors.js';
import type { AuthorityCheck, AuthorityScope } from '../../src/connectors/authority-check.js';

export class FakeAuthority implements AuthorityCheck {
  private readonly minted = new Map<string, string>();

  mint(scope: AuthorityScope): string {
    const token = `fake-authority.${crypto.randomBytes(8).toString('hex')}`;
    this.minted.set(token, key(scope));
    return token;
  }

  assert(token: string, scope: AuthorityScope): Promise<unknown> {
    const granted = this.minted.get(token);
    if (granted === undefined)
      return Promise.reject(new CustosError('AUTHORITY_INVALID', 'unknown authority'));
    if (granted !== key(scope)) {
      return Promise.reject(new CustosError('AUTHORITY_SCOPE', 'authority minted for another scope'));
    }
    return Promise.resolve(scope);
  }
}

function key(s: AuthorityScope): string {
  return JSON.stringify([s.runId, s.action, s.system, s.identity]);
}
