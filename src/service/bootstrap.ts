/**
 * The first admin API token, made locally by `custos init` / the quickstart: whoever can open the
 * store and its keys already holds every power, so this is not exposed over HTTP. The principal
 * must exist and hold the admin role; the token is recorded like any other (`api.token_issued`),
 * by Custos itself.
 */
import { CustosError } from '../core/errors.js';
import { SYSTEM_ACTOR } from '../ledger/ledger.js';
import type { Custos } from '../main.js';
import type { IssuedApiToken } from './api.js';
import { issueApiToken } from './api-tokens.js';

export interface BootstrapOptions {
  /** A person or service holding the admin role. */
  readonly principal: string;
  readonly name?: string;
  readonly expiresInDays?: number;
}

export async function bootstrapAdminToken(
  custos: Custos,
  options: BootstrapOptions,
): Promise<IssuedApiToken> {
  const principal = await custos.inventory.getPrincipal(options.principal);
  if (principal === undefined) {
    throw new CustosError(
      'PRINCIPAL_UNKNOWN',
      `unknown principal ${options.principal}: import the inventory first`,
    );
  }
  if (!principal.roles.includes('admin')) {
    throw new CustosError('FORBIDDEN', `${options.principal} does not hold the admin role`);
  }
  return issueApiToken(
    { ledger: custos.ledger, inventory: custos.inventory, now: custos.now },
    SYSTEM_ACTOR,
    {
      principal: principal.id,
      name: options.name ?? 'bootstrap',
      ...(options.expiresInDays === undefined ? {} : { expiresInDays: options.expiresInDays }),
    },
  );
}
