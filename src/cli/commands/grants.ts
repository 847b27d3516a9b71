/**
 * `custos exceptions` and `custos break-glass`: requests of their own kind, and the grants they open.
 *
 *   exceptions request --identity ID --control C [--compensating-control CC] --duration MINUTES --justification TEXT
 *   exceptions list [--identity ID] [--state S] [--json]
 *   break-glass request --identity ID --entitlements E,.. --duration MINUTES --justification TEXT
 *   break-glass list [--identity ID] [--state S] [--json]
 *   break-glass review GRANT --verdict appropriate|inappropriate --rationale TEXT
 */
import { CustosError } from '../../core/errors.js';
import type { Grant } from '../../runs/grant-store.js';
import { positional, required, wantsJson } from '../args.js';
import { withBackend } from '../backend.js';
import { EXIT, type CliIo, type ParsedArgs } from '../io.js';
import { printColumns, type Cell } from './inventory-format.js';
import { printJson, printTable } from './open.js';
import { fileRequest, fromFlags } from './request.js';

const GRANT_COLUMNS = ['ID', 'STATE', 'IDENTITY', 'WORKFLOW', 'EXPIRES', 'RUN', 'FOLLOW-UP', 'REVIEWED BY'];

function grantRow(g: Grant): Cell[] {
  return [g.id, g.state, g.identityId, g.workflow, g.expiresAt, g.runId, g.followUpRunId, g.reviewedBy];
}

function grantsCommand(kind: 'exception' | 'break_glass') {
  const usage =
    kind === 'exception'
      ? 'usage: custos exceptions request --identity ID --control C [--compensating-control CC] --duration MINUTES --justification TEXT | list'
      : 'usage: custos break-glass request --identity ID --entitlements E,.. --duration MINUTES --justification TEXT | list | review GRANT --verdict V --rationale TEXT';
  return (args: ParsedArgs, io: CliIo): Promise<number> => {
    switch (args.positional[0]) {
      case 'request':
        if (args.flags['identity'] === undefined) throw new CustosError('INPUT_INVALID', usage);
        return fileRequest(args, io, fromFlags(args, kind));
      case 'list':
        return withBackend(args, io, async ({ api, caller }) => {
          const { items } = await api.listGrants(caller, {
            ...(args.flags['identity'] === undefined ? {} : { identity: args.flags['identity'] }),
            ...(args.flags['state'] === undefined ? {} : { state: args.flags['state'] as never }),
          });
          const grants = items.filter((g) => g.kind === kind);
          if (wantsJson(args)) printJson(io, { items: grants });
          else printColumns(io, GRANT_COLUMNS, grants.map(grantRow));
          return EXIT.ok;
        });
      case 'review':
        if (kind !== 'break_glass') throw new CustosError('INPUT_INVALID', usage);
        return withBackend(args, io, async ({ api, caller }) => {
          const verdict = required(args, 'verdict', usage);
          if (verdict !== 'appropriate' && verdict !== 'inappropriate')
            throw new CustosError('INPUT_INVALID', '--verdict is appropriate or inappropriate');
          const grant = await api.reviewBreakGlass(caller, {
            id: positional(args, 1, usage),
            verdict,
            rationale: required(args, 'rationale', usage),
          });
          if (wantsJson(args)) printJson(io, grant);
          else
            printTable(
              io,
              Object.entries(grant).map(([k, v]) => [
                k,
                typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v),
              ]),
            );
          return EXIT.ok;
        });
      default:
        throw new CustosError('INPUT_INVALID', usage);
    }
  };
}

export const exceptionsCommand = grantsCommand('exception');
export const breakGlassCommand = grantsCommand('break_glass');
