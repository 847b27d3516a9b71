/**
 * `Authorization: Bearer <api token>` (RFC 6750). The header is attacker-controlled and secret: it
 * is parsed here, checked against the stored hash, and never logged or echoed.
 */
import type { IncomingMessage } from 'node:http';
import { CustosError } from '../core/errors.js';
import type { Custos } from '../main.js';
import { authenticateApiToken, type Authenticated } from '../service/index.js';

export function bearerOf(req: IncomingMessage): string | undefined {
  const header = req.headers.authorization;
  if (header === undefined) return undefined;
  const match = /^Bearer ([\x21-\x7e]{1,512})$/i.exec(header);
  if (match === null) throw new CustosError('UNAUTHENTICATED', 'use Authorization: Bearer <api token>');
  return match[1];
}

export async function authenticate(custos: Custos, req: IncomingMessage): Promise<Authenticated> {
  const token = bearerOf(req);
  if (token === undefined)
    throw new CustosError('UNAUTHENTICATED', 'an API token is required', { details: { reason: 'missing' } });
  return authenticateApiToken({ ledger: custos.ledger, inventory: custos.inventory, now: custos.now }, token);
}
