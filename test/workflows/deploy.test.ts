/**
 * Deploying a workflow bundle is itself governed: it files a change (content hash + the decisions
 * it would change) that only the bundle's policy owner — never its author or filer — can approve;
 * only then does the version become active. Every step is a ledger record; every version stays
 * retrievable by hash.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { importInventory } from '../../src/inventory/index.js';
import { loadBundle, runGoldenCases } from '../../src/policy/index.js';
import { verifyLive } from '../../src/ledger/ledger-verify.js';
import { BundleRegistry } from '../../src/workflows/index.js';
import { storeKinds, tempDir } from '../support/stores.js';
import { createTestInventory, type TestInventory } from '../inventory/support.js';

const EXAMPLES = path.resolve(import.meta.dirname, '../../examples');

/** A copy of the example bundle with one edit, as a new version would be. */
function editedBundle(edit: (dir: string) => void): string {
  const dir = path.join(tempDir(), 'bundle');
  fs.cpSync(path.join(EXAMPLES, 'bundle'), dir, { recursive: true });
  edit(dir);
  return dir;
}

async function records(ti: TestInventory, type: string) {
  const rows = await ti.t.store.read.query<{ data: Uint8Array }>(
    'SELECT data FROM ledger_records ORDER BY idx',
  );
  return rows
    .map((r) => JSON.parse(Buffer.from(r.data).toString('utf8')) as Record<string, unknown>)
    .filter((r) => r['type'] === type);
}

for (const kind of storeKinds()) {
  describe(`governed bundle deployment on ${kind.name}`, () => {
    let ti: TestInventory;
    afterEach(async () => {
      await ti.close();
    });

    async function setup(): Promise<BundleRegistry> {
      ti = await createTestInventory(kind);
      const text = fs.readFileSync(path.join(EXAMPLES, 'inventory.yaml'), 'utf8');
      await importInventory(ti.inventory, { file: 'inventory.yaml', text }, { actor: 'person:alice' });
      return new BundleRegistry({ ledger: ti.t.ledger, principals: (id) => ti.inventory.getPrincipal(id) });
    }

    it('activates a version only after its policy owner approves; the author and others cannot', async () => {
      const registry = await setup();
      const bundle = loadBundle(path.join(EXAMPLES, 'bundle'));
      const filed = await registry.file(bundle, 'person:pat');
      expect(filed).toMatchObject({
        status: 'pending',
        requiredApprovers: ['person:paula'],
        filedBy: 'person:pat',
      });
      expect(await registry.active()).toBeUndefined();

      await expect(registry.decide(bundle.hash, 'person:pat', 'approve')).rejects.toMatchObject({
        code: 'SOD_VIOLATION',
      });
      await expect(registry.decide(bundle.hash, 'person:bob', 'approve')).rejects.toMatchObject({
        code: 'SOD_VIOLATION',
      });
      await expect(registry.decide(bundle.hash, 'service:ci-pipeline', 'approve')).rejects.toMatchObject({
        code: 'PRINCIPAL_KIND_INVALID',
      });
      await expect(registry.decide(bundle.hash, 'person:mallory', 'approve')).rejects.toMatchObject({
        code: 'PRINCIPAL_UNKNOWN',
      });
      await expect(registry.decide(bundle.hash, 'person:paula', 'reject')).rejects.toMatchObject({
        code: 'INPUT_INVALID',
      });
      expect(await records(ti, 'workflows.deploy_approved')).toEqual([]);

      const approved = await registry.decide(bundle.hash, 'person:paula', 'approve', 'reviewed the diff');
      expect(approved.status).toBe('active');
      expect((await registry.active())?.hash).toBe(bundle.hash);
      await expect(registry.decide(bundle.hash, 'person:paula', 'approve')).rejects.toMatchObject({
        code: 'STORE_CONFLICT',
      });

      const [filedRecord] = await records(ti, 'workflows.deploy_filed');
      expect(filedRecord).toMatchObject({
        actor: { kind: 'human', id: 'person:pat' },
        bundleHash: bundle.hash,
      });
      const [activated] = await records(ti, 'workflows.version_activated');
      expect(activated).toMatchObject({
        actor: { kind: 'human', id: 'person:paula' },
        bundleHash: bundle.hash,
        payload: { hash: bundle.hash, previous: null, approvedBy: ['person:paula'] },
      });
      expect((activated!['refs'] as { index: number }[])[0]!.index).toBe(filedRecord!['index']);
      await verifyLive(ti.t.ledger);
    });

    it('files a new version with the decisions it changes; the old one stays retrievable by hash', async () => {
      const registry = await setup();
      const v1 = loadBundle(path.join(EXAMPLES, 'bundle'));
      await registry.file(v1, 'person:pat');
      await registry.decide(v1.hash, 'person:paula', 'approve');

      // v2 makes creating staging service accounts a medium-risk change (it was low).
      const dir = editedBundle((d) => {
        const file = path.join(d, 'policies', 'postgres.cedar');
        const text = fs.readFileSync(file, 'utf8');
        const edited = text.replace(/(@id\("pg-create-staging"\)\s*\n\s*@risk\(")low("\))/, '$1medium$2');
        expect(edited).not.toBe(text);
        fs.writeFileSync(file, edited);
        const tests = path.join(d, 'tests', 'postgres.yaml');
        fs.writeFileSync(
          tests,
          fs
            .readFileSync(tests, 'utf8')
            .replace(
              'tier: low, route: low, policies: [pg-create-staging]',
              'tier: medium, route: medium, policies: [pg-create-staging]',
            ),
        );
      });
      const v2 = loadBundle(dir);
      expect(v2.hash).not.toBe(v1.hash);
      const filed = await registry.file(v2, 'person:pat');
      expect(filed.changes.length).toBeGreaterThan(0);
      expect((await registry.active())?.hash).toBe(v1.hash);
      await registry.decide(v2.hash, 'person:paula', 'approve');
      expect((await registry.active())?.hash).toBe(v2.hash);
      expect((await registry.get(v1.hash))?.status).toBe('superseded');

      const reloaded = await new BundleRegistry({
        ledger: ti.t.ledger,
        principals: (id) => ti.inventory.getPrincipal(id),
      }).load(v1.hash);
      expect(reloaded.hash).toBe(v1.hash);
      // The reloaded version decides exactly as it did when it was filed.
      const report = runGoldenCases(reloaded);
      expect([report.failed, report.passed]).toEqual([0, runGoldenCases(v1).passed]);
    });

    it('refuses a bundle whose only policy owner is its author, and a second filing of the same hash', async () => {
      const registry = await setup();
      const dir = editedBundle((d) => {
        const manifest = path.join(d, 'bundle.yaml');
        fs.writeFileSync(
          manifest,
          fs.readFileSync(manifest, 'utf8').replace('author: person:pat', 'author: person:paula'),
        );
      });
      await expect(registry.file(loadBundle(dir), 'person:pat')).rejects.toMatchObject({
        code: 'SOD_VIOLATION',
      });
      const bundle = loadBundle(path.join(EXAMPLES, 'bundle'));
      await registry.file(bundle, 'person:pat');
      await expect(registry.file(bundle, 'person:pat')).rejects.toMatchObject({ code: 'STORE_CONFLICT' });
      expect((await registry.list()).map((v) => v.status)).toEqual(['pending']);
    });
  });
}
