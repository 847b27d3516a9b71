/**
 * The reads of one engine, shared by the calls in flight: run rows, idempotency keys and inventory
 * entities are read for many runs in one query, and the active bundle many decisions ask for at the
 * same moment is read once (tick-reads.ts). Nothing is kept between moments.
 */
import { CustosError } from '../core/errors.js';
import type { Inventory } from '../inventory/index.js';
import { paddedChunks, pairKey, selectPairs } from '../store/multi-row.js';
import type { Sql } from '../store/sql.js';
import type { LoadedBundle } from '../policy/index.js';
import type { BundleRegistry } from '../workflows/index.js';
import type { Run } from './run-model.js';
import { RUN_COLUMNS, toRun } from './run-store.js';
import { TickLoader, eachOnce } from './tick-reads.js';

export interface Filed {
  readonly id: string;
  readonly inputHash: string;
}

export class SharedReads {
  readonly inventory: Inventory;
  private readonly runs: TickLoader<string, Run>;
  private readonly filed: TickLoader<readonly [string, string], Filed>;
  private readonly bundle: TickLoader<string, LoadedBundle>;

  constructor(read: Sql, inventory: Inventory, bundles: BundleRegistry) {
    // Each kind of entity asked for in one turn is read with one query (padded IN lists).
    const principals = new TickLoader((ids: readonly string[]) => inventory.getPrincipals(ids), String);
    const systems = new TickLoader((ids: readonly string[]) => inventory.getSystems(ids), String);
    const identities = new TickLoader((ids: readonly string[]) => inventory.getIdentities(ids), String);
    this.inventory = {
      ...inventory,
      getPrincipal: (id) => principals.load(id),
      getSystem: (id) => systems.load(id),
      getIdentity: (id) => identities.load(id),
      getPrincipals: (ids) => loadAll(principals, ids),
      getSystems: (ids) => loadAll(systems, ids),
      getIdentities: (ids) => loadAll(identities, ids),
    };
    this.runs = new TickLoader<string, Run>((ids) => readRuns(read, ids), String);
    this.filed = new TickLoader(
      (keys) => readFiled(read, keys),
      ([r, k]) => pairKey(r, k),
    );
    this.bundle = new TickLoader(
      eachOnce(() => bundles.active()),
      String,
    );
  }

  async run(id: string): Promise<Run> {
    const run = await this.runs.load(id);
    if (run === undefined) throw new CustosError('RUN_NOT_FOUND', `no run ${id}`);
    return run;
  }

  /** The run a requester filed under an idempotency key, if any. */
  filedAs(requester: string, key: string): Promise<Filed | undefined> {
    return this.filed.load([requester, key]);
  }

  activeBundle(): Promise<LoadedBundle | undefined> {
    return this.bundle.load('active');
  }
}

async function loadAll<V>(loader: TickLoader<string, V>, ids: readonly string[]): Promise<Map<string, V>> {
  const unique = [...new Set(ids)];
  const values = await Promise.all(unique.map((id) => loader.load(id)));
  const out = new Map<string, V>();
  unique.forEach((id, i) => {
    const v = values[i];
    if (v !== undefined) out.set(id, v);
  });
  return out;
}

async function readRuns(sql: Sql, ids: readonly string[]): Promise<Map<string, Run>> {
  const out = new Map<string, Run>();
  for (const chunk of paddedChunks(ids)) {
    const rows = await sql.query<Parameters<typeof toRun>[0] & Record<string, unknown>>(
      `SELECT ${RUN_COLUMNS} FROM runs WHERE id IN (${chunk.map(() => '?').join(', ')})`,
      chunk,
    );
    for (const row of rows) out.set(row.id, toRun(row));
  }
  return out;
}

async function readFiled(
  sql: Sql,
  keys: readonly (readonly [string, string])[],
): Promise<Map<string, Filed>> {
  const rows = await selectPairs<{
    id: string;
    requester: string;
    idempotency_key: string;
    input_hash: string;
  }>(
    sql,
    'SELECT id, requester, idempotency_key, input_hash FROM runs',
    ['requester', 'idempotency_key'],
    keys,
  );
  const out = new Map<string, Filed>();
  for (const r of rows)
    out.set(pairKey(r.requester, r.idempotency_key), { id: r.id, inputHash: r.input_hash });
  return out;
}
