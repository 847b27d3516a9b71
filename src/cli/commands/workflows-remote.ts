/**
 * `custos workflows versions|show|deploy|approve|reject … --server URL`: governed deployment on a
 * Custos server. `deploy` lints and runs the golden cases here first (as the local command does),
 * then sends the bundle's files; the server checks them again before filing.
 */
import path from 'node:path';
import { CustosError } from '../../core/errors.js';
import { bundleFiles } from '../bundle-files.js';
import { positional, required, wantsJson } from '../args.js';
import { withBackend } from '../backend.js';
import { EXIT, type CliIo, type ParsedArgs } from '../io.js';
import { printJson, printTable } from './open.js';
import type { BundleVersion } from '../../workflows/index.js';

const USAGE =
  'usage: custos workflows versions | show HASH | deploy DIR | approve HASH [--rationale R] | reject HASH --rationale R  (--server URL)';

export function remoteWorkflowsCommand(
  args: ParsedArgs,
  io: CliIo,
  check: (dir: string) => boolean,
  describe: (v: BundleVersion) => [string, string][],
): Promise<number> {
  const sub = args.positional[0];
  return withBackend(args, io, async ({ api, caller }) => {
    switch (sub) {
      case 'versions': {
        const { items } = await api.listBundles(caller, {});
        if (wantsJson(args)) printJson(io, items);
        else
          for (const v of items)
            io.out(`${v.status.padEnd(10)} ${v.hash}  ${v.name} ${v.versionLabel}  filed by ${v.filedBy}\n`);
        return EXIT.ok;
      }
      case 'show': {
        const v = await api.getBundle(caller, { hash: positional(args, 1, USAGE) });
        if (wantsJson(args)) printJson(io, v);
        else printTable(io, describe(v));
        return EXIT.ok;
      }
      case 'deploy': {
        const dir = path.resolve(io.cwd, positional(args, 1, USAGE));
        if (!check(dir)) return EXIT.usage;
        const v = await api.deployBundle(caller, { files: bundleFiles(dir) });
        io.out(
          `filed ${v.hash} (${v.name} ${v.versionLabel}); awaiting approval by ${v.requiredApprovers.join(', ')}\n`,
        );
        return EXIT.ok;
      }
      case 'approve':
      case 'reject': {
        const hash = positional(args, 1, USAGE);
        const v =
          sub === 'approve'
            ? await api.approveBundle(caller, {
                hash,
                ...(args.flags['rationale'] === undefined ? {} : { rationale: args.flags['rationale'] }),
              })
            : await api.rejectBundle(caller, { hash, rationale: required(args, 'rationale', USAGE) });
        io.out(`${v.hash}: ${v.status}\n`);
        return EXIT.ok;
      }
      default:
        throw new CustosError(
          'INPUT_INVALID',
          `${USAGE}\n(lint, test, diff and decide run locally, without --server)`,
        );
    }
  });
}
