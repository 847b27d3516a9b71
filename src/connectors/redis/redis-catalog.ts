/**
 * The server's own command table (`COMMAND`, `ACL CAT`), for what the grammar cannot know: whether
 * a named command or category exists on this server, whether a command falls in a category that is
 * never granted (admin, dangerous, scripting), and which commands a category stands for.
 *
 * What a user may run is read back with `ACL DRYRUN` (Redis 7): Redis describes command rules in
 * a compacted form, not as they were given, so "is `+@read` held" is answered by asking the server
 * about every command it covers, in one pipeline. DRYRUN checks arity before permissions, so each
 * command is tried with as many placeholder arguments as its arity asks for.
 */
import { CustosError } from '../../core/errors.js';
import type { AdminSession } from './redis-admin.js';
import { NEVER_CATEGORIES, describeEntitlement, type Entitlement } from './redis-entitlements.js';

export interface CommandInfo {
  /** `get`, or `config|get` for a subcommand. */
  readonly name: string;
  readonly arity: number;
  readonly categories: ReadonlySet<string>;
  readonly subcommands: readonly CommandInfo[];
}

export interface Catalog {
  readonly commands: ReadonlyMap<string, CommandInfo>;
  readonly categories: ReadonlySet<string>;
}

export async function readCatalog(session: AdminSession): Promise<Catalog> {
  const table = await session.call('COMMAND');
  const commands = new Map<string, CommandInfo>();
  for (const entry of Array.isArray(table) ? table : []) {
    const info = commandInfo(entry);
    if (info !== undefined) commands.set(info.name, info);
  }
  const categories = await session.call('ACL', 'CAT');
  return { commands, categories: new Set(Array.isArray(categories) ? categories.map(String) : []) };
}

/** One entry of COMMAND: [name, arity, flags, first, last, step, categories, tips, keys, subcommands]. */
function commandInfo(entry: unknown): CommandInfo | undefined {
  if (!Array.isArray(entry) || typeof entry[0] !== 'string' || typeof entry[1] !== 'number') return undefined;
  const categories = Array.isArray(entry[6]) ? entry[6].map((c) => String(c).replace(/^@/, '')) : [];
  const subs = Array.isArray(entry[9]) ? entry[9].map(commandInfo) : [];
  return {
    name: entry[0].toLowerCase(),
    arity: entry[1],
    categories: new Set(categories),
    subcommands: subs.filter((s): s is CommandInfo => s !== undefined),
  };
}

const isNever = (c: CommandInfo) => NEVER_CATEGORIES.some((n) => c.categories.has(n));

/** Commands as ACL rules address them: a container stands for its subcommands. */
function leaves(c: CommandInfo): readonly CommandInfo[] {
  return c.subcommands.length > 0 ? c.subcommands : [c];
}

function lookup(catalog: Catalog, name: string): CommandInfo | undefined {
  const [top, sub] = name.split('|') as [string, string | undefined];
  const info = catalog.commands.get(top);
  return sub === undefined ? info : info?.subcommands.find((s) => s.name === name);
}

/** Refuses entitlements this server does not know, and grants of commands never granted. */
export function assertKnown(catalog: Catalog, entitlements: readonly Entitlement[]): void {
  for (const e of entitlements) {
    const text = describeEntitlement(e);
    if (e.kind === 'category' && !catalog.categories.has(e.name)) {
      throw invalid(text, `names a category this server does not have`);
    }
    if (e.kind !== 'command') continue;
    const info = lookup(catalog, e.name);
    if (info === undefined) throw invalid(text, 'names a command this server does not have');
    if (e.sign === '-') continue;
    if (info.subcommands.length > 0)
      throw invalid(text, `grants every subcommand: name one (+${info.name}|…)`);
    if (isNever(info)) {
      throw invalid(
        text,
        `grants a command in @${NEVER_CATEGORIES.join(', @')}, which the connector never grants`,
      );
    }
  }
}

/** The commands an entitlement covers (empty for key and channel patterns). */
export function commandsOf(catalog: Catalog, e: Entitlement): CommandInfo[] {
  if (e.kind === 'command') {
    const info = lookup(catalog, e.name);
    return info === undefined ? [] : [...leaves(info)];
  }
  if (e.kind !== 'category') return [];
  const all = [...catalog.commands.values()].flatMap(leaves).filter((c) => c.categories.has(e.name));
  // A granted category never brings the never-granted commands along (see NEVER_CATEGORIES).
  return e.sign === '+' ? all.filter((c) => !isNever(c)) : all;
}

export type DryRun = 'permitted' | 'denied' | 'unknown';

/** Asks the server, for each command, whether `user` may run it. */
export async function dryRun(
  session: AdminSession,
  user: string,
  commands: readonly CommandInfo[],
): Promise<DryRun[]> {
  if (commands.length === 0) return [];
  const argv = commands.map((c) => {
    const words = c.name.split('|');
    const fill = Math.max(0, Math.abs(c.arity) - words.length);
    return ['ACL', 'DRYRUN', user, ...words, ...Array.from({ length: fill }, () => 'x')];
  });
  const replies = await session.pipeline(argv);
  return replies.map(([error, result]) => {
    if (error !== null) return 'unknown';
    const text = String(result);
    if (text === 'OK') return 'permitted';
    if (/no permissions to run the '[^']*' command/.test(text)) return 'denied';
    // Denied a key or a channel: the command itself is permitted.
    return /no permissions to access/.test(text) ? 'permitted' : 'unknown';
  });
}

function invalid(text: string, why: string): CustosError {
  return new CustosError('INPUT_INVALID', `entitlement ${JSON.stringify(text)} ${why}`, {
    details: { entitlement: text },
  });
}
