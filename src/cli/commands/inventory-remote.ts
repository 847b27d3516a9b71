/**
 * `custos systems|identities|principals … --server URL`: the same list, show and import, through a
 * Custos server's API (the token's holder acts; import needs the admin role). Output matches the
 * local commands, except that a remote import reports counts (the server keeps the plan).
 */
import fs from 'node:fs';
import path from 'node:path';
import { CustosError } from '../../core/errors.js';
import {
  InventoryInputError,
  MAX_IMPORT_BYTES,
  formatProblem,
  type EntryKind,
} from '../../inventory/index.js';
import { intFlag, wantsJson } from '../args.js';
import { withBackend, type Backend } from '../backend.js';
import { EXIT, type CliIo, type ParsedArgs } from '../io.js';
import {
  IDENTITY_COLUMNS,
  PRINCIPAL_COLUMNS,
  SYSTEM_COLUMNS,
  entityRows,
  identityRow,
  principalRow,
  printColumns,
  systemRow,
  type Cell,
} from './inventory-format.js';
import { printJson, printTable } from './open.js';

type Page = { readonly items: readonly object[]; readonly next?: string };

interface RemoteKind {
  readonly columns: readonly string[];
  readonly row: (entity: never) => Cell[];
  list(b: Backend, page: { after?: string; limit?: number }, args: ParsedArgs): Promise<Page>;
  get(b: Backend, id: string): Promise<object>;
}

const KINDS: Readonly<Record<EntryKind, RemoteKind>> = {
  system: {
    columns: SYSTEM_COLUMNS,
    row: systemRow,
    list: ({ api, caller }, page) => api.listSystems(caller, page),
    get: ({ api, caller }, id) => api.getSystem(caller, { id }),
  },
  identity: {
    columns: IDENTITY_COLUMNS,
    row: identityRow,
    list: ({ api, caller }, page, args) => {
      const system = args.flags['system'];
      return api.listIdentities(caller, { ...page, ...(system === undefined ? {} : { system }) });
    },
    get: ({ api, caller }, id) => api.getIdentity(caller, { id }),
  },
  principal: {
    columns: PRINCIPAL_COLUMNS,
    row: principalRow,
    list: ({ api, caller }, page) => api.listPrincipals(caller, page),
    get: ({ api, caller }, id) => api.getPrincipal(caller, { id }),
  },
};

export function remoteInventoryCommand(kind: EntryKind, args: ParsedArgs, io: CliIo): Promise<number> {
  const [sub, target] = args.positional;
  const spec = KINDS[kind];
  return withBackend(args, io, async (backend) => {
    switch (sub) {
      case 'list': {
        const limit = intFlag(args, 'limit', 1, 1000);
        const after = args.flags['after'];
        const page = await spec.list(
          backend,
          { ...(after === undefined ? {} : { after }), ...(limit === undefined ? {} : { limit }) },
          args,
        );
        if (wantsJson(args)) printJson(io, page);
        else {
          printColumns(
            io,
            spec.columns,
            page.items.map((e) => spec.row(e as never)),
          );
          if (page.next !== undefined) io.err(`more: --after ${page.next}\n`);
        }
        return EXIT.ok;
      }
      case 'show': {
        const entity = await spec.get(backend, target!);
        if (wantsJson(args)) printJson(io, entity);
        else printTable(io, entityRows(entity));
        return EXIT.ok;
      }
      case 'import':
        return remoteImport(backend, kind, target!, args, io);
      default:
        throw new CustosError('INPUT_INVALID', 'usage: list | show ID | import FILE [--dry-run]');
    }
  });
}

async function remoteImport(
  b: Backend,
  kind: EntryKind,
  file: string,
  args: ParsedArgs,
  io: CliIo,
): Promise<number> {
  const full = path.resolve(io.cwd, file);
  const ext = path.extname(full).toLowerCase();
  const format = ext === '.csv' ? 'csv' : ext === '.json' ? 'json' : 'yaml';
  if (!fs.existsSync(full) || fs.statSync(full).size > MAX_IMPORT_BYTES)
    throw new CustosError('INPUT_INVALID', `cannot read ${file} (at most ${MAX_IMPORT_BYTES} bytes)`);
  const dryRun = args.bools.has('dry-run');
  try {
    const summary = await b.api.importInventory(b.caller, {
      file: path
        .basename(file)
        .replace(/[^\x20-\x7e]/g, '_')
        .slice(0, 200),
      format,
      kind,
      text: fs.readFileSync(full, 'utf8'),
      dryRun,
    });
    if (wantsJson(args)) printJson(io, summary);
    else
      io.out(
        `${dryRun ? 'dry run' : 'imported'}: ${summary.create} to create, ${summary.update} to update, ` +
          `${summary.unchanged} unchanged; ${summary.records} record(s), correlation ${summary.correlationId}\n`,
      );
    return EXIT.ok;
  } catch (e) {
    if (!(e instanceof InventoryInputError)) throw e;
    if (wantsJson(args)) printJson(io, { ok: false, problems: e.problems });
    for (const problem of e.problems) io.err(`${formatProblem(problem)}\n`);
    io.err(`error ${e.code}: ${e.problems.length} problem(s) in ${file}; nothing was written\n`);
    return EXIT.usage;
  }
}
