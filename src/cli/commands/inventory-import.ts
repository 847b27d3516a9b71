/**
 * `custos systems|identities|principals import FILE [--dry-run] [--as PRINCIPAL] [--json]`.
 * A YAML/JSON file may hold principals, systems and identities together (all are imported); a
 * CSV file or a bare list holds the command's kind. Problems print one per line as
 * `file:row field CODE message` and exit 2 with nothing written.
 */
import fs from 'node:fs';
import path from 'node:path';
import { CustosError } from '../../core/errors.js';
import {
  InventoryInputError,
  MAX_IMPORT_BYTES,
  countActions,
  createInventory,
  formatProblem,
  type EntryKind,
} from '../../inventory/index.js';
import type { Custos } from '../../main.js';
import { EXIT, type CliIo, type ParsedArgs } from '../io.js';
import { printJson } from './open.js';
import { planLine } from './inventory-format.js';

export async function importCommand(
  custos: Custos,
  kind: EntryKind,
  file: string,
  args: ParsedArgs,
  io: CliIo,
): Promise<number> {
  const actor = args.flags['as'] ?? io.env['CUSTOS_ACTOR'];
  if (actor === undefined) {
    throw new CustosError('INPUT_INVALID', 'name the acting principal: --as PRINCIPAL or CUSTOS_ACTOR');
  }
  if (!(await custos.ledger.exists())) {
    throw new CustosError('NOT_INITIALISED', 'the ledger has not been created: run `custos init`');
  }
  const dryRun = args.bools.has('dry-run');
  const json = args.bools.has('json');
  const inventory = createInventory({ ledger: custos.ledger, now: custos.now });
  try {
    const text = readText(path.resolve(io.cwd, file));
    const result = await inventory.import({ file, text, kind }, { actor, dryRun });
    const counts = countActions(result.items);
    if (json) {
      printJson(io, {
        dryRun,
        correlationId: result.correlationId,
        ...counts,
        plan: result.items.map(({ action, kind: k, id, changed }) => ({ action, kind: k, id, changed })),
        records: result.records.map((r) => r.index),
      });
      return EXIT.ok;
    }
    for (const item of result.items) io.out(planLine(item));
    const { create, update, unchanged } = counts;
    if (dryRun)
      io.out(`dry run: ${create} to create, ${update} to update, ${unchanged} unchanged; nothing written\n`);
    else {
      io.out(
        `imported: ${create} created, ${update} updated, ${unchanged} unchanged; ` +
          `${result.records.length} record(s), correlation ${result.correlationId}\n`,
      );
    }
    return EXIT.ok;
  } catch (e) {
    if (!(e instanceof InventoryInputError)) throw e;
    if (json) printJson(io, { ok: false, problems: e.problems });
    for (const problem of e.problems) io.err(`${formatProblem(problem)}\n`);
    io.err(`error ${e.code}: ${e.problems.length} problem(s) in ${file}; nothing was written\n`);
    return EXIT.usage;
  }
}

function readText(file: string): string {
  let size: number;
  try {
    size = fs.statSync(file).size;
  } catch (cause) {
    throw new CustosError('INPUT_INVALID', `cannot read ${file}`, { cause });
  }
  if (size > MAX_IMPORT_BYTES)
    throw new CustosError('INPUT_INVALID', `an import file is at most ${MAX_IMPORT_BYTES} bytes`);
  return fs.readFileSync(file, 'utf8');
}
