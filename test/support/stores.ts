/**
 * Runs the same test body against both stores: embedded SQLite in a temp dir, and a fresh
 * database on the run's private PostgreSQL (skipped loudly outside CI when it cannot start).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { inject } from 'vitest';
import { createDatabase } from '../harness/postgres.js';
import { Ledger } from '../../src/ledger/ledger.js';
import { generateNoteKey, parseSignerKey } from '../../src/ledger/note/index.js';
import type { SignedState } from '../../src/ledger/checkpoint-signer.js';
import { openStore, type Store } from '../../src/store/index.js';

export interface StoreKind {
  readonly name: 'sqlite' | 'postgres';
  /** Connection settings for a fresh, empty store of this kind. */
  fresh(): Promise<{ dataDir: string; databaseUrl?: string }>;
}

export function tempDir(prefix = 'custos-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

const sqlite: StoreKind = {
  name: 'sqlite',
  fresh: () => Promise.resolve({ dataDir: tempDir() }),
};

const postgres: StoreKind = {
  name: 'postgres',
  fresh: async () => {
    const url = inject('pgUrl');
    if (url === null) throw new Error('PostgreSQL unavailable');
    const name = `t_${crypto.randomBytes(6).toString('hex')}`;
    return { dataDir: tempDir(), databaseUrl: await createDatabase(url, name) };
  },
};

/** Store kinds available in this run: PostgreSQL only when the harness started one. */
export function storeKinds(): StoreKind[] {
  return inject('pgUrl') === null ? [sqlite] : [sqlite, postgres];
}

export interface TestLedger {
  readonly store: Store;
  readonly ledger: Ledger;
  readonly verifierKey: string;
  readonly signerKey: string;
  readonly origin: string;
  signerState: SignedState | undefined;
  close(): Promise<void>;
}

/** A created ledger with an in-memory signer state, on a fresh store of the given kind. */
export async function createTestLedger(kind: StoreKind, origin = 'test.custos/log'): Promise<TestLedger> {
  const settings = await kind.fresh();
  const store = await openStore(settings);
  const { signerKey, verifierKey } = generateNoteKey(origin);
  const t: TestLedger = {
    store,
    verifierKey,
    signerKey,
    origin,
    signerState: undefined,
    ledger: undefined as unknown as Ledger,
    close: async () => {
      await t.ledger.writer.idle();
      await store.close();
    },
  };
  (t as { ledger: Ledger }).ledger = new Ledger({
    store,
    now: () => new Date(),
    signer: parseSignerKey(signerKey),
    signerState: {
      load: () => t.signerState,
      save: (s) => {
        t.signerState = s;
      },
    },
  });
  await t.ledger.create(origin, verifierKey);
  return t;
}

export function draft(i: number, correlationId = 'run-1') {
  return {
    type: 'test.event',
    correlationId,
    actor: { kind: 'non_human' as const, id: 'pipeline:ci' },
    subject: { kind: 'identity', id: `svc-${i % 10}` },
    payload: { i, note: 'a record of moderate size, as identity changes are' },
  };
}
