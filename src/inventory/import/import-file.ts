/**
 * `custos … import FILE`: reads YAML, JSON or CSV, validates every entry, plans the whole file
 * against the store and writes it in one transaction — or, with any problem, writes nothing and
 * throws InventoryInputError carrying every problem ({file, row, field, code, message}).
 * Entries are upserts: an existing id is updated with the fields the entry names.
 */
import crypto from 'node:crypto';
import path from 'node:path';
import { CustosError } from '../../core/errors.js';
import type { BatchOptions } from '../batch.js';
import type { Inventory } from '../inventory.js';
import type { EntryKind } from '../fields.js';
import type { Candidate, PlanItem } from '../plan-types.js';
import { InventoryInputError, Problems, type Problem } from '../problems.js';
import type { AppendedRecord } from '../../ledger/sequencer.js';
import { validateIdentity, type IdentityInput } from '../validate-identity.js';
import { validatePrincipal, type PrincipalInput } from '../validate-principal.js';
import { validateSystem, type SystemInput } from '../validate-system.js';
import { placeProblem, type Entry, type Source } from './entries.js';
import { readCsv } from './source-csv.js';
import { readTree } from './source-tree.js';

export type ImportFormat = 'yaml' | 'json' | 'csv';

export interface ImportSource {
  /** As shown in problems (the path the user gave). */
  readonly file: string;
  readonly text: string;
  /** Default: from the file extension (.yaml, .yml, .json, .csv). */
  readonly format?: ImportFormat;
  /** The kind of a CSV file or of a bare YAML/JSON list. */
  readonly kind?: EntryKind;
}

export interface ImportOptions {
  readonly actor: string;
  readonly dryRun?: boolean;
}

export interface ImportResult {
  readonly dryRun: boolean;
  readonly items: readonly PlanItem[];
  readonly records: readonly AppendedRecord[];
  readonly correlationId: string;
}

export const MAX_IMPORT_BYTES = 16 * 1024 * 1024;

export async function importInventory(
  inventory: Pick<Inventory, 'applyBatch'>,
  source: ImportSource,
  options: ImportOptions,
): Promise<ImportResult> {
  const read = readSource(source);
  if (read.problems.length > 0 && read.entries.length === 0) throw new InventoryInputError(read.problems);
  const checked = read.entries.map((entry) => ({ entry, ...validateEntry(entry) }));
  const batch = {
    principals: candidates<PrincipalInput>(checked, 'principal'),
    systems: candidates<SystemInput>(checked, 'system'),
    identities: candidates<IdentityInput>(checked, 'identity'),
  };
  const batchOptions: BatchOptions = {
    actor: options.actor,
    correlationId: `import-${crypto.randomUUID()}`,
    importRecord: (items) => ({
      file: path.basename(source.file),
      sha256: crypto.createHash('sha256').update(source.text).digest('hex'),
      ...countActions(items),
    }),
  };
  // With problems in the file's structure, or an entry that could not be read at all (it has no
  // candidate in the batch, so the batch alone would not see its problem), still plan the readable
  // entries as a dry run so that every problem is reported at once, and write nothing.
  const unreadable = checked.some((c) => c.input === undefined);
  const dryRun = (options.dryRun ?? false) || read.problems.length > 0 || unreadable;
  const result = await inventory.applyBatch(batch, { ...batchOptions, dryRun });
  const problems: Problem[] = [
    ...read.problems,
    ...checked.flatMap(({ entry, problems: p }) => p.list.map((fp) => placeProblem(source.file, entry, fp))),
  ];
  if (problems.length > 0) throw new InventoryInputError(problems);
  return { dryRun, items: result.items, records: result.records, correlationId: result.correlationId };
}

export function countActions(items: readonly PlanItem[]): {
  create: number;
  update: number;
  unchanged: number;
} {
  const count = (action: PlanItem['action']) => items.filter((i) => i.action === action).length;
  return { create: count('create'), update: count('update'), unchanged: count('unchanged') };
}

function readSource(source: ImportSource): Source {
  if (source.text.length > MAX_IMPORT_BYTES) {
    throw new CustosError('INPUT_INVALID', `an import file is at most ${MAX_IMPORT_BYTES} bytes`);
  }
  const format = source.format ?? formatOf(source.file);
  if (format !== 'csv') return readTree(source.file, source.text, format, source.kind);
  if (source.kind === undefined) throw new TypeError('a CSV import needs its kind');
  return readCsv(source.file, source.text, source.kind);
}

export function formatOf(file: string): ImportFormat {
  const ext = path.extname(file).toLowerCase();
  if (ext === '.yaml' || ext === '.yml') return 'yaml';
  if (ext === '.json') return 'json';
  if (ext === '.csv') return 'csv';
  throw new CustosError('INPUT_INVALID', 'an import file ends in .yaml, .yml, .json or .csv');
}

const VALIDATE = {
  principal: validatePrincipal,
  system: validateSystem,
  identity: validateIdentity,
} as const;

function validateEntry(entry: Entry): { problems: Problems; input: unknown } {
  const problems = new Problems();
  return { problems, input: VALIDATE[entry.kind](entry.value, problems) };
}

function candidates<I>(
  checked: readonly { entry: Entry; problems: Problems; input: unknown }[],
  kind: EntryKind,
): Candidate<I>[] {
  return checked
    .filter((c) => c.entry.kind === kind && c.input !== undefined)
    .map((c) => ({ input: c.input as I, mode: 'upsert', problems: c.problems }));
}
