/**
 * `custos tokens`: API tokens for the HTTP API (per principal, scoped to some of its roles,
 * expiring; stored as a SHA-256). An admin issues them locally (`--as`) or over --server; the token
 * is shown once, on stdout, or written to --out FILE (0600).
 *
 *   tokens bootstrap --for ADMIN [--out FILE]   the first admin token, made from the local store
 *   tokens issue --for P [--name N] [--scopes r,..] [--days N] [--out FILE] [--json]
 *   tokens list [--for P] [--json]
 *   tokens revoke ID
 */
import { CustosError } from '../../core/errors.js';
import {
  deliverSecret,
  checkSecretOut,
  intFlag,
  listFlag,
  positional,
  required,
  wantsJson,
} from '../args.js';
import { serverUrl, withBackend } from '../backend.js';
import { bootstrapAdminToken, type IssuedApiToken } from '../../service/index.js';
import { EXIT, type CliIo, type ParsedArgs } from '../io.js';
import { printColumns } from './inventory-format.js';
import { printJson, withCustos } from './open.js';

const USAGE =
  'usage: custos tokens bootstrap --for ADMIN [--out FILE] | issue --for P [--name N] [--scopes r,..] [--days N] [--out FILE] | list [--for P] | revoke ID';

export function tokensCommand(args: ParsedArgs, io: CliIo): Promise<number> {
  switch (args.positional[0]) {
    case 'bootstrap': {
      // Whoever can open the store and its keys holds every power already: no API call, no --as.
      if (serverUrl(args, io) !== undefined)
        throw new CustosError(
          'INPUT_INVALID',
          'tokens bootstrap works on the local store only (no --server)',
        );
      const principal = required(args, 'for', USAGE);
      const out = args.flags['out'] ?? '-';
      checkSecretOut(io, out);
      return withCustos(args, io, async (custos) => {
        const issued = await bootstrapAdminToken(custos, {
          principal,
          name: args.flags['name'] ?? 'bootstrap',
        });
        return handOver(args, io, out, issued);
      });
    }
    case 'issue': {
      const principal = required(args, 'for', USAGE);
      const scopes = listFlag(args, 'scopes');
      const days = intFlag(args, 'days', 1, 366);
      const out = args.flags['out'] ?? '-';
      checkSecretOut(io, out);
      return withBackend(args, io, async ({ api, caller }) => {
        const issued = await api.issueApiToken(caller, {
          principal,
          name: args.flags['name'] ?? 'cli',
          ...(scopes === undefined ? {} : { scopes: scopes as never }),
          ...(days === undefined ? {} : { expiresInDays: days }),
        });
        return handOver(args, io, out, issued);
      });
    }
    case 'list':
      return withBackend(args, io, async ({ api, caller }) => {
        const p = args.flags['for'];
        const { items } = await api.listApiTokens(caller, p === undefined ? {} : { principal: p });
        if (wantsJson(args)) printJson(io, { items });
        else
          printColumns(
            io,
            ['ID', 'PRINCIPAL', 'NAME', 'SCOPES', 'EXPIRES', 'REVOKED'],
            items.map((t) => [t.id, t.principal, t.name, t.scopes.join(','), t.expiresAt, t.revokedAt]),
          );
        return EXIT.ok;
      });
    case 'revoke':
      return withBackend(args, io, async ({ api, caller }) => {
        const revoked = await api.revokeApiToken(caller, { id: positional(args, 1, USAGE) });
        if (wantsJson(args)) printJson(io, revoked);
        else io.out(`revoked ${revoked.id} (${revoked.principal})\n`);
        return EXIT.ok;
      });
    default:
      throw new CustosError('INPUT_INVALID', USAGE);
  }
}

/** The token goes to --out (0600) or stdout, once; its facts to stderr (or all of it as JSON). */
function handOver(args: ParsedArgs, io: CliIo, out: string, issued: IssuedApiToken): number {
  if (wantsJson(args) && out === '-') {
    printJson(io, issued);
    return EXIT.ok;
  }
  const to = deliverSecret(io, out, issued.token);
  io.err(
    `token ${issued.id} for ${issued.principal} (${issued.scopes.join(',') || 'no roles'}), ` +
      `expires ${issued.expiresAt}: written to ${to}\n`,
  );
  return EXIT.ok;
}
