/**
 * `custos systems|identities|principals list|show|import`: the inventory from the command line.
 *
 *   list [--json] [--after ID] [--limit N] [--system ID (identities)]
 *   show ID [--json]
 *   import FILE [--dry-run] [--as PRINCIPAL] [--json]   (acting principal: --as or CUSTOS_ACTOR)
 *
 * With --server URL (or CUSTOS_SERVER) they go through a server's API instead (inventory-remote.ts).
 */
import { CustosError } from '../../core/errors.js';
import { createInventory, type EntryKind, type Inventory, type PageOf } from '../../inventory/index.js';
import { EXIT, type CliIo, type ParsedArgs } from '../io.js';
import { serverUrl } from '../args.js';
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
import { importCommand } from './inventory-import.js';
import { printJson, printTable, withCustos } from './open.js';

interface KindCommand<T> {
  readonly kind: EntryKind;
  readonly name: string;
  readonly columns: readonly string[];
  readonly row: (entity: T) => Cell[];
  readonly list: (inventory: Inventory, args: ParsedArgs) => Promise<PageOf<T>>;
  readonly get: (inventory: Inventory, id: string) => Promise<T | undefined>;
}

/** Inventory refusals that are the caller's to fix: exit 2 like any bad input. */
const INPUT_CODES = new Set(['NOT_FOUND', 'PRINCIPAL_UNKNOWN', 'PRINCIPAL_KIND_INVALID', 'FIELD_INVALID']);

function command<T extends object>(spec: KindCommand<T>): (args: ParsedArgs, io: CliIo) => Promise<number> {
  return async (rawArgs, io) => {
    const args = withDryRunFlag(rawArgs);
    const [sub, target] = args.positional;
    const usage = `usage: custos ${spec.name} list|show ID|import FILE [--dry-run] [--as PRINCIPAL] [--json]`;
    if (
      sub === undefined ||
      !['list', 'show', 'import'].includes(sub) ||
      (sub !== 'list' && target === undefined)
    ) {
      throw new CustosError('INPUT_INVALID', usage);
    }
    if (serverUrl(args, io) !== undefined)
      return (await import('./inventory-remote.js')).remoteInventoryCommand(spec.kind, args, io);
    return withCustos(args, io, async (custos) => {
      try {
        if (sub === 'import') return await importCommand(custos, spec.kind, target!, args, io);
        const inventory = createInventory({ ledger: custos.ledger, now: custos.now });
        if (sub === 'show') return await show(spec, inventory, target!, args, io);
        const page = await spec.list(inventory, args);
        if (args.bools.has('json')) printJson(io, page);
        else {
          printColumns(io, spec.columns, page.items.map(spec.row));
          if (page.next !== undefined) io.err(`more: --after ${page.next}\n`);
        }
        return EXIT.ok;
      } catch (e) {
        if (!(e instanceof CustosError) || !INPUT_CODES.has(e.code)) throw e;
        io.err(`error ${e.code}: ${e.message}\n`);
        return EXIT.usage;
      }
    });
  };
}

async function show<T extends object>(
  spec: KindCommand<T>,
  inventory: Inventory,
  id: string,
  args: ParsedArgs,
  io: CliIo,
): Promise<number> {
  const entity = await spec.get(inventory, id);
  if (entity === undefined) throw new CustosError('NOT_FOUND', `${spec.kind} ${id} does not exist`);
  if (args.bools.has('json')) printJson(io, entity);
  else printTable(io, entityRows(entity));
  return EXIT.ok;
}

/** `--dry-run FILE` parses as a flag with a value: take it back as a boolean and a positional. */
function withDryRunFlag(args: ParsedArgs): ParsedArgs {
  const value = args.flags['dry-run'];
  if (value === undefined) return args;
  const { 'dry-run': _taken, ...flags } = args.flags;
  return { positional: [...args.positional, value], flags, bools: new Set([...args.bools, 'dry-run']) };
}

function page(args: ParsedArgs): { after?: string; limit?: number } {
  const limit = args.flags['limit'];
  if (limit !== undefined && !/^\d{1,4}$/.test(limit))
    throw new CustosError('INPUT_INVALID', '--limit must be 1..1000');
  return {
    ...(args.flags['after'] === undefined ? {} : { after: args.flags['after'] }),
    ...(limit === undefined ? {} : { limit: Number(limit) }),
  };
}

export const systemsCommand = command({
  kind: 'system',
  name: 'systems',
  columns: SYSTEM_COLUMNS,
  row: systemRow,
  list: (inventory, args) => inventory.listSystems(page(args)),
  get: (inventory, id) => inventory.getSystem(id),
});

export const identitiesCommand = command({
  kind: 'identity',
  name: 'identities',
  columns: IDENTITY_COLUMNS,
  row: identityRow,
  list: (inventory, args) => {
    const system = args.flags['system'];
    return inventory.listIdentities({ ...page(args), ...(system === undefined ? {} : { system }) });
  },
  get: (inventory, id) => inventory.getIdentity(id),
});

export const principalsCommand = command({
  kind: 'principal',
  name: 'principals',
  columns: PRINCIPAL_COLUMNS,
  row: principalRow,
  list: (inventory, args) => inventory.listPrincipals(page(args)),
  get: (inventory, id) => inventory.getPrincipal(id),
});
