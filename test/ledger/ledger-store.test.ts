import { afterEach, describe, expect, it } from 'vitest';
import { encodeBase64 } from '../../src/core/bytes.js';
import { leafHash, verifyConsistency, verifyInclusion } from '../../src/ledger/merkle/index.js';
import { parseCheckpoint, parseNote } from '../../src/ledger/note/index.js';
import { verifyLive } from '../../src/ledger/ledger-verify.js';
import { createTestLedger, draft, storeKinds, type TestLedger } from '../support/stores.js';

for (const kind of storeKinds()) {
  describe(`ledger on ${kind.name}`, () => {
    let t: TestLedger;
    afterEach(async () => {
      await t.close();
    });

    it('assigns contiguous indexes to concurrent appends and serves proofs that verify', async () => {
      t = await createTestLedger(kind);
      const appended = await Promise.all(Array.from({ length: 500 }, (_, i) => t.ledger.append(draft(i))));
      const indexes = appended.map((a) => a.index).sort((a, b) => a - b);
      expect(indexes).toEqual(Array.from({ length: 500 }, (_, i) => i + 1));
      const cp = await t.ledger.checkpoint();
      const { rootHash, size } = parseCheckpoint(parseNote(cp.note).text);
      expect(size).toBe(501);
      for (const a of appended.slice(0, 50)) {
        expect(Buffer.from(leafHash(a.bytes)).equals(a.leafHash)).toBe(true);
        verifyInclusion(a.index, size, a.leafHash, await t.ledger.inclusionProof(a.index, size), rootHash);
      }
      await verifyLive(t.ledger);
    });

    it('commits a state change and its record together, or neither (fail closed)', async () => {
      t = await createTestLedger(kind);
      await t.store.write.run('CREATE TABLE demo (id TEXT PRIMARY KEY)');
      // A body that fails after writing rolls back alone; its neighbours in the same batch commit.
      const results = await Promise.allSettled([
        t.ledger.transact(async (tx) => {
          await tx.run('INSERT INTO demo (id) VALUES (?)', ['a']);
          await tx.append(draft(1));
        }),
        t.ledger.transact(async (tx) => {
          await tx.run('INSERT INTO demo (id) VALUES (?)', ['b']);
          await tx.append(draft(2));
          throw new Error('body failed');
        }),
        t.ledger.transact(async (tx) => {
          await tx.run('INSERT INTO demo (id) VALUES (?)', ['c']);
          await tx.append(draft(3));
        }),
      ]);
      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
      const ids = (await t.store.read.query<{ id: string }>('SELECT id FROM demo ORDER BY id')).map(
        (r) => r.id,
      );
      expect(ids).toEqual(['a', 'c']);
      expect(await t.ledger.size()).toBe(3);

      // If the ledger cannot record, the state change does not happen either.
      const trigger =
        kind.name === 'sqlite'
          ? [
              "CREATE TRIGGER no_records BEFORE INSERT ON ledger_records BEGIN SELECT RAISE(ABORT, 'disk full'); END",
            ]
          : [
              "CREATE FUNCTION no_records() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'disk full'; END $$ LANGUAGE plpgsql",
              'CREATE TRIGGER no_records BEFORE INSERT ON ledger_records FOR EACH ROW EXECUTE FUNCTION no_records()',
            ];
      for (const sql of trigger) await t.store.write.run(sql);
      await expect(
        t.ledger.transact(async (tx) => {
          await tx.run('INSERT INTO demo (id) VALUES (?)', ['d']);
          await tx.append(draft(4));
        }),
      ).rejects.toMatchObject({ code: 'LEDGER_APPEND_FAILED', details: { outcome: 'not_written' } });
      expect(await t.store.read.query('SELECT id FROM demo WHERE id = ?', ['d'])).toEqual([]);
      expect(await t.ledger.size()).toBe(3);
    });

    it('undoes an isolated part of a body alone, and a body alone in its transaction whole', async () => {
      t = await createTestLedger(kind);
      await t.store.write.run('CREATE TABLE demo (id TEXT PRIMARY KEY)');
      const { value } = await t.ledger.transact(async (tx) => {
        await tx.run('INSERT INTO demo (id) VALUES (?)', ['kept']);
        await tx.append(draft(1));
        const undone = await tx
          .isolated(async () => {
            await tx.run('INSERT INTO demo (id) VALUES (?)', ['undone']);
            await tx.append(draft(2));
            // A statement the database refuses: the transaction carries on after the savepoint.
            await tx.run('INSERT INTO demo (id) VALUES (?)', ['kept']);
          })
          .then(
            () => false,
            () => true,
          );
        await tx.isolated(() => tx.append(draft(3)));
        return undone;
      });
      expect(value).toBe(true);
      const ids = await t.store.read.query<{ id: string }>('SELECT id FROM demo ORDER BY id');
      expect(ids.map((r) => r.id)).toEqual(['kept']);
      expect(await t.ledger.size()).toBe(3);
      // Alone in its transaction (no savepoint): the failed body leaves nothing, the next one commits.
      await expect(
        t.ledger.transact(async (tx) => {
          await tx.run('INSERT INTO demo (id) VALUES (?)', ['lone']);
          await tx.append(draft(4));
          throw new Error('body failed');
        }),
      ).rejects.toThrow('body failed');
      await t.ledger.append(draft(5));
      expect(await t.store.read.query('SELECT id FROM demo WHERE id = ?', ['lone'])).toEqual([]);
      expect(await t.ledger.size()).toBe(4);
      await verifyLive(t.ledger);
    });

    it('rejects bad records before anything is written', async () => {
      t = await createTestLedger(kind);
      const bad = [
        [{ ...draft(1), payload: { password: 'hunter2' } }, 'RECORD_SECRET_FIELD'],
        [{ ...draft(1), payload: { key: '-----BEGIN PRIVATE KEY-----' } }, 'RECORD_SECRET_FIELD'],
        [{ ...draft(1), actor: { kind: 'robot', id: 'x' } }, 'RECORD_MALFORMED'],
        [{ ...draft(1), type: 'NoDots' }, 'RECORD_MALFORMED'],
        [{ ...draft(1), payload: { n: Number.NaN } }, 'CANONICAL_JSON_INVALID'],
        [
          { ...draft(1), refs: [{ index: 0, leafHash: encodeBase64(new Uint8Array(32)) }] },
          'RECORD_REF_INVALID',
        ],
      ] as const;
      for (const [d, code] of bad) {
        await expect(t.ledger.append(d as never)).rejects.toMatchObject({ code });
      }
      expect(await t.ledger.size()).toBe(1);
      const genesis = await t.ledger.append(draft(1));
      const withRef = await t.ledger.append({
        ...draft(2),
        payload: { apiToken: 'hmac-sha256:abcd1234:xyz' },
        refs: [{ index: genesis.index, leafHash: encodeBase64(genesis.leafHash) }],
      });
      expect(withRef.index).toBe(2);
    });

    it('refuses to sign a checkpoint inconsistent with the last one it signed', async () => {
      t = await createTestLedger(kind);
      for (let i = 0; i < 10; i++) await t.ledger.append(draft(i));
      const first = await t.ledger.checkpoint();
      // The database was rolled back behind the signer's back (the signer signed a larger tree).
      t.signerState = { size: first.size + 100, rootHash: first.rootHash };
      await expect(t.ledger.checkpoint()).rejects.toMatchObject({ code: 'CHECKPOINT_INCONSISTENT' });
      // Same size, another history.
      t.signerState = { size: first.size, rootHash: new Uint8Array(32) };
      await expect(t.ledger.checkpoint()).rejects.toMatchObject({ code: 'CHECKPOINT_INCONSISTENT' });
      // A smaller tree that the current one does not extend.
      await t.ledger.append(draft(99));
      t.signerState = { size: first.size, rootHash: new Uint8Array(32).fill(7) };
      await expect(t.ledger.checkpoint()).rejects.toMatchObject({ code: 'CHECKPOINT_INCONSISTENT' });
      // The genuine history extends fine.
      t.signerState = { size: first.size, rootHash: first.rootHash };
      expect((await t.ledger.checkpoint()).size).toBe(first.size + 1);
    });

    it('proves consistency between signed checkpoints', async () => {
      t = await createTestLedger(kind);
      const sizes: { size: number; root: Uint8Array }[] = [];
      for (let round = 0; round < 5; round++) {
        await Promise.all(Array.from({ length: 37 * (round + 1) }, (_, i) => t.ledger.append(draft(i))));
        const cp = await t.ledger.checkpoint();
        sizes.push({ size: cp.size, root: cp.rootHash });
      }
      for (let a = 0; a < sizes.length; a++) {
        for (let b = a; b < sizes.length; b++) {
          const proof = await t.ledger.consistencyProof(sizes[a]!.size, sizes[b]!.size);
          verifyConsistency(sizes[a]!.size, sizes[b]!.size, proof, sizes[a]!.root, sizes[b]!.root);
        }
      }
      await expect(t.ledger.inclusionProof(5, 100_000)).rejects.toMatchObject({ code: 'PROOF_SIZE_INVALID' });
      await expect(t.ledger.inclusionProof(600, 500)).rejects.toMatchObject({
        code: 'PROOF_INDEX_OUT_OF_RANGE',
      });
    });

    it('prunes old records while later proofs and the checkpoints stay valid', async () => {
      t = await createTestLedger(kind);
      await Promise.all(Array.from({ length: 300 }, (_, i) => t.ledger.append(draft(i))));
      const before = await t.ledger.checkpoint();
      await t.ledger.prune(173, { kind: 'human', id: 'auditor' });
      const after = await t.ledger.checkpoint();
      const root = after.rootHash;
      for (const index of [173, 174, 200, 255, 256, 299, after.size - 1]) {
        const [row] = await t.store.read.query<{ data: Uint8Array }>(
          'SELECT data FROM ledger_records WHERE idx = ?',
          [index],
        );
        verifyInclusion(
          index,
          after.size,
          leafHash(row!.data),
          await t.ledger.inclusionProof(index, after.size),
          root,
        );
      }
      verifyConsistency(
        before.size,
        after.size,
        await t.ledger.consistencyProof(before.size, after.size),
        before.rootHash,
        root,
      );
      expect(await t.store.read.query('SELECT idx FROM ledger_records WHERE idx < 173')).toEqual([]);
      await expect(t.ledger.inclusionProof(10, after.size)).rejects.toMatchObject({ code: 'LEDGER_PRUNED' });
      const report = await verifyLive(t.ledger);
      expect(report.from).toBe(173);
    });

    it('keeps personal data as an erasable commitment', async () => {
      t = await createTestLedger(kind);
      const { records } = await t.ledger.transact(async (tx) => {
        const owner = await tx.commitPersonalData('alice@example.com');
        await tx.append({ ...draft(1), payload: { ownerEmail: owner } });
      });
      const bytes = Buffer.from(records[0]!.bytes).toString('utf8');
      expect(bytes).not.toContain('alice@example.com');
      expect(bytes).toContain('commit:sha256:');
      await t.store.write.run('DELETE FROM pii_vault');
      await t.ledger.checkpoint();
      await verifyLive(t.ledger);
    });
  });
}
