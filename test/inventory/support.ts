/** An inventory on a fresh test ledger, and ways to read what the store really holds. */
import fs from 'node:fs';
import path from 'node:path';
import { createInventory, type Inventory } from '../../src/inventory/index.js';
import { createTestLedger, type StoreKind, type TestLedger } from '../support/stores.js';

export interface TestInventory {
  readonly t: TestLedger;
  readonly inventory: Inventory;
  close(): Promise<void>;
}

export async function createTestInventory(kind: StoreKind): Promise<TestInventory> {
  const t = await createTestLedger(kind);
  return {
    t,
    inventory: createInventory({ ledger: t.ledger, now: () => new Date() }),
    close: () => t.close(),
  };
}

/** Acts as the first principal (bootstrap), then creates a few more. */
export async function seedPrincipals(inventory: Inventory): Promise<void> {
  const as = { actor: 'person:alice' };
  await inventory.createPrincipal({ id: 'person:alice', roles: ['admin'] }, as);
  for (const id of ['group:dba', 'group:security', 'group:platform'])
    await inventory.createPrincipal({ id }, as);
  await inventory.createPrincipal({ id: 'person:bob', roles: ['owner'], groups: ['group:dba'] }, as);
  await inventory.createPrincipal({ id: 'service:ci-pipeline', roles: ['requester'] }, as);
}

export const PG_PROD = {
  id: 'pg-prod',
  type: 'postgres',
  environment: 'prod',
  owner: 'group:dba',
  connection: { host: 'db.example.org', port: 5432, user: 'custos', password: 'env:CUSTOS_PG_PASSWORD' },
} as const;

export const FINGERPRINT = 'hmac-sha256:8cc5a584:vUsW_HNmMoEy3opLuaCklBiwFffNUUKQZ9jQB79yk10';

export interface StoredRecord {
  readonly index: number;
  readonly type: string;
  readonly actor: { kind: string; id: string };
  readonly subject?: { kind: string; id: string };
  readonly correlationId: string;
  readonly payload: Record<string, unknown>;
}

/** Every record in the ledger, decoded. */
export async function records(t: TestLedger): Promise<StoredRecord[]> {
  const rows = await t.store.read.query<{ data: Uint8Array }>('SELECT data FROM ledger_records ORDER BY idx');
  return rows.map((r) => JSON.parse(Buffer.from(r.data).toString('utf8')) as StoredRecord);
}

export async function count(t: TestLedger, table: string): Promise<number> {
  const [row] = await t.store.read.query<{ n: number | string }>(`SELECT COUNT(*) AS n FROM ${table}`);
  return Number(row?.n ?? 0);
}

/** All the bytes the store holds: SQLite's files, or a text dump of every PostgreSQL table. */
export async function storedBytes(t: TestLedger): Promise<string> {
  if (t.store.dialect === 'sqlite') {
    await t.ledger.writer.idle();
    const file = t.store.description.replace(/^sqlite:/, '');
    return fs
      .readdirSync(path.dirname(file))
      .filter((f) => f.startsWith(path.basename(file)))
      .map((f) => fs.readFileSync(path.join(path.dirname(file), f)).toString('latin1'))
      .join('\n');
  }
  const tables = await t.store.read.query<{ tablename: string }>(
    "SELECT tablename FROM pg_tables WHERE schemaname = 'public'",
  );
  const dumps: string[] = [];
  for (const { tablename } of tables) {
    const rows = await t.store.read.query(`SELECT * FROM ${tablename}`);
    dumps.push(JSON.stringify(rows, (_k, v: unknown) => (Buffer.isBuffer(v) ? v.toString('latin1') : v)));
  }
  return dumps.join('\n');
}
