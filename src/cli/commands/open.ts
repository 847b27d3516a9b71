import { parseConfig } from '../../config/index.js';
import { openCustos, type Custos } from '../../main.js';
import type { CliIo, ParsedArgs } from '../io.js';

/** Opens an existing installation for a command and closes it afterwards. */
export async function withCustos(
  args: ParsedArgs,
  io: CliIo,
  fn: (custos: Custos) => Promise<number>,
): Promise<number> {
  const custos = await openCustos(parseConfig({ env: io.env, flags: args.flags, cwd: io.cwd }));
  try {
    return await fn(custos);
  } finally {
    await custos.close();
  }
}

export function printJson(io: CliIo, value: unknown): void {
  io.out(`${JSON.stringify(value, null, 2)}\n`);
}

/** Prints aligned `key  value` rows. */
export function printTable(io: CliIo, rows: readonly (readonly [string, string | number])[]): void {
  const width = Math.max(...rows.map(([k]) => k.length));
  io.out(rows.map(([k, v]) => `${k.padEnd(width)}  ${v}\n`).join(''));
}
