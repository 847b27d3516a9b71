/**
 * The group commit's last step, on both stores: the sequenced writes and the COMMIT (PostgreSQL sends
 * them back to back, without waiting in between). A head that moved must roll the transaction back,
 * never commit it; a commit whose answer is lost must be reported as of unknown outcome; statements a
 * body issues together must reach the database in the order they were issued.
 */
import crypto from 'node:crypto';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { readHead } from '../../src/ledger/head.js';
import { Ledger } from '../../src/ledger/ledger.js';
import { generateNoteKey } from '../../src/ledger/note/index.js';
import { openStore } from '../../src/store/index.js';
import { CommitOutcomeUnknown, type SequencedWrite } from '../../src/store/sql.js';
import { createTestLedger, draft, storeKinds, type TestLedger } from '../support/stores.js';

/** `n` records and their level-0 nodes after the head, with a head that claims `fromSize`. */
function write(size: number, n: number, fromSize: number): SequencedWrite {
  const hash = () => crypto.randomBytes(32);
  return {
    records: Array.from({ length: n }, (_, i) => [size + i, Buffer.from(`{"i":${i}}`)]),
    nodes: Array.from({ length: n }, (_, i) => [0, size + i, hash()]),
    head: [size + n, hash(), hash(), new Date().toISOString()],
    fromSize,
  };
}

for (const kind of storeKinds()) {
  describe(`commitSequenced on ${kind.name}`, () => {
    let t: TestLedger;
    afterEach(async () => {
      await t.close();
    });

    // 1 record goes as one statement on PostgreSQL; 1,000 records (5,000 parameters) as several.
    for (const n of [1, 1000]) {
      it(`rolls back instead of committing when the head moved (${n} records)`, async () => {
        t = await createTestLedger(kind);
        const { write: conn, read } = t.store;
        const before = await readHead(read);
        await conn.run('CREATE TABLE demo (id TEXT PRIMARY KEY)');
        await conn.begin();
        await conn.run('INSERT INTO demo (id) VALUES (?)', ['with the records']);
        const error: unknown = await conn.commitSequenced(write(before.size, n, before.size + 7)).then(
          () => undefined,
          (e: unknown) => e,
        );
        await conn.rollback().catch(() => undefined);
        expect(error).toBeInstanceOf(Error);
        // The outcome is known: nothing committed.
        expect(error).not.toBeInstanceOf(CommitOutcomeUnknown);
        expect(await read.query('SELECT id FROM demo')).toEqual([]);
        expect(await read.query('SELECT idx FROM ledger_records WHERE idx >= ?', [before.size])).toEqual([]);
        expect((await readHead(read)).size).toBe(before.size);
        // The connection is usable: the same write from the right size commits.
        await conn.begin();
        await conn.commitSequenced(write(before.size, n, before.size));
        const [head] = await read.query<{ size: number }>('SELECT size FROM ledger_head');
        expect(head?.size).toBe(before.size + n);
      });
    }

    it('keeps the order of statements a body issues together, in a savepoint of its own', async () => {
      t = await createTestLedger(kind);
      await t.store.write.run('CREATE TABLE demo (id TEXT PRIMARY KEY)');
      // Two bodies in one batch: each runs in its own savepoint, opened by its first statement.
      const [, second] = await Promise.all([
        t.ledger.transact((tx) => tx.append(draft(1))),
        t.ledger.transact(async (tx) => {
          const [, seen] = await Promise.all([
            tx.run('INSERT INTO demo (id) VALUES (?)', ['first']),
            tx.query<{ id: string }>('SELECT id FROM demo'),
          ]);
          await tx.append(draft(2));
          return seen;
        }),
      ]);
      expect(second.value).toEqual([{ id: 'first' }]);
    });
  });
}

/**
 * A TCP forwarder to PostgreSQL that, once armed, cuts the connection on the first bytes from the
 * client that carry a COMMIT, without forwarding them: the client cannot know what the server did.
 */
async function commitCutter(target: URL): Promise<{ url: string; arm(): void; close(): Promise<void> }> {
  let armed = false;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(target.port), target.hostname);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => s.destroy());
      s.on('close', () => {
        sockets.delete(s);
        client.destroy();
        upstream.destroy();
      });
    }
    client.on('data', (chunk: Buffer) => {
      if (armed && chunk.includes('COMMIT')) client.destroy();
      else upstream.write(chunk);
    });
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = new URL(target);
  url.port = String((server.address() as net.AddressInfo).port);
  return {
    url: url.toString(),
    arm: () => {
      armed = true;
    },
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

const postgres = storeKinds().find((k) => k.name === 'postgres');

describe.skipIf(postgres === undefined)('commitSequenced on a connection lost at COMMIT', () => {
  it('reports the outcome as unknown, and the ledger writer says so; nothing is half-written', async () => {
    const settings = await postgres!.fresh();
    const cutter = await commitCutter(new URL(settings.databaseUrl!));
    const store = await openStore({ ...settings, databaseUrl: cutter.url });
    try {
      const ledger = new Ledger({ store, now: () => new Date() });
      await ledger.create('test.custos/log', generateNoteKey('test.custos/log').verifierKey);
      await store.write.run('CREATE TABLE demo (id TEXT PRIMARY KEY)');
      cutter.arm();
      await expect(
        ledger.transact(async (tx) => {
          await tx.run('INSERT INTO demo (id) VALUES (?)', ['with the record']);
          await tx.append(draft(1));
        }),
      ).rejects.toMatchObject({ code: 'LEDGER_APPEND_FAILED', details: { outcome: 'unknown' } });
      // Here the COMMIT never reached the server: the transaction rolled back with the connection.
      expect(await store.read.query('SELECT id FROM demo')).toEqual([]);
      expect(await ledger.size()).toBe(1);
    } finally {
      await store.close().catch(() => undefined);
      await cutter.close();
    }
  });
});
