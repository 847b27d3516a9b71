/** The caller itself, downstream verification of issued tokens, the JWKS, and API tokens. */
import { CustosError } from '../core/errors.js';
import { actorFor } from '../inventory/index.js';
import {
  getApiToken,
  issueApiToken,
  listApiTokens,
  revokeApiToken,
  type ApiTokenDeps,
} from './api-tokens.js';
import { forbidden, hasRole } from './authorize.js';
import { compact } from './compact.js';
import type { Handlers, ServiceContext } from './context.js';

type TokenOps = 'whoami' | 'verifyToken' | 'jwks' | 'issueApiToken' | 'listApiTokens' | 'revokeApiToken';

export const tokenHandlers: Handlers<TokenOps> = {
  whoami: (_ctx, acting) => {
    if (acting.kind === 'anonymous') throw new CustosError('UNAUTHENTICATED', 'no caller');
    return Promise.resolve({ principal: acting.id, kind: acting.kind, roles: [...acting.roles].sort() });
  },

  verifyToken: async (ctx, _a, { token }) => (await ctx.custos.tokens()).verifyPresented(token),
  jwks: async (ctx) => (await ctx.custos.tokens()).jwks(),

  issueApiToken: (ctx, acting, input) => issueApiToken(deps(ctx), actorFor(acting.id), compact(input)),
  listApiTokens: async (ctx, acting, { principal }) => {
    if (!hasRole(acting, 'admin')) {
      if (principal !== undefined && principal !== acting.id) {
        throw forbidden('listApiTokens', "only an admin lists others' tokens");
      }
      return { items: await listApiTokens(ctx.custos.ledger, acting.id) };
    }
    return { items: await listApiTokens(ctx.custos.ledger, principal) };
  },
  revokeApiToken: async (ctx, acting, { id }) => {
    const token = await getApiToken(ctx.custos.ledger, id).catch((e: unknown) => {
      // Someone else's token id is as unknown to a non-admin as a token that does not exist.
      throw hasRole(acting, 'admin')
        ? e
        : forbidden('revokeApiToken', 'an admin, or the holder, revokes a token');
    });
    if (token.principal !== acting.id && !hasRole(acting, 'admin')) {
      throw forbidden('revokeApiToken', 'an admin, or the holder, revokes a token');
    }
    return revokeApiToken(deps(ctx), actorFor(acting.id), id);
  },
};

function deps(ctx: ServiceContext): ApiTokenDeps {
  return { ledger: ctx.custos.ledger, inventory: ctx.custos.inventory, now: ctx.custos.now };
}
