/**
 * HttpClient against the real server, on both stores: the same interface as LocalService with the
 * same answers, errors coming back as the same CustosError (code, details, an import's or a
 * bundle's problems), secrets delivered once, and an export that verifies offline.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpClient } from '../../src/api/index.js';
import { utf8 } from '../../src/core/bytes.js';
import { canonicalize } from '../../src/core/canonical-json.js';
import { isCustosError } from '../../src/core/errors.js';
import { leafHash, verifyConsistency, verifyInclusion } from '../../src/ledger/merkle/index.js';
import { InventoryInputError } from '../../src/inventory/index.js';
import { BundleInvalidError } from '../../src/policy/index.js';
import { readExportDir, verifyBundle } from '../../src/verifier/index.js';
import { storeKinds, tempDir } from '../support/stores.js';
import { createApiFixture, type ApiFixture } from './http-support.js';
import { CI_TOKEN, ENGINEER_KEY, approverKey, bundleFiles, signed } from './support.js';

const b64 = (text: string): Uint8Array => Buffer.from(text, 'base64');

const ANY = { principal: 'ignored: the server knows the caller from the token' };

async function refusal(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => expect.fail('expected a refusal'),
    (e: unknown) => e,
  );
}

for (const kind of storeKinds()) {
  describe(`HttpClient round trip on ${kind.name}`, () => {
    let f: ApiFixture;
    const as = async (principal: string) =>
      new HttpClient({ baseUrl: f.url, token: await f.token(principal) });
    beforeAll(async () => {
      f = await createApiFixture(kind);
    });
    afterAll(async () => {
      await f.close();
    });

    it('runs the core path remotely with the answers LocalService gives', async () => {
      const ci = await as('service:ci-pipeline');
      const auto = await ci.fileRequest(ANY, { request: CI_TOKEN, justification: 'deploy' });
      expect(auto.run.state).toBe('completed');
      expect(await ci.verifyToken(ANY, { token: auto.secrets[0]!.value })).toMatchObject({
        valid: true,
        runId: auto.run.id,
      });
      const jwks = await new HttpClient({ baseUrl: f.url }).jwks(ANY, {});
      expect(jwks.keys[0]).toMatchObject({ kty: 'OKP', crv: 'Ed25519' });

      const eve = await as('person:eve');
      const alice = await as('person:alice');
      const filed = await eve.fileRequest(ANY, { request: ENGINEER_KEY, justification: 'metrics' });
      expect(filed.run.state).toBe('awaiting_approval');
      const key = await approverKey(alice, 'person:alice');
      expect(
        (await alice.approveRun(ANY, { id: filed.run.id, approval: signed(key, filed.run) })).state,
      ).toBe('approved');
      const done = await eve.advanceRun(ANY, { id: filed.run.id });
      expect(done.run.state).toBe('completed');
      expect(done.secrets).toHaveLength(1);

      const local = { principal: 'person:sara' };
      const sara = await as('person:sara');
      expect(await sara.getRun(ANY, { id: filed.run.id })).toEqual(
        await f.service.getRun(local, { id: filed.run.id }),
      );
      expect(await sara.listSystems(ANY, { limit: 1 })).toEqual(
        await f.service.listSystems(local, { limit: 1 }),
      );
      expect(await sara.listRuns(ANY, { state: 'completed' })).toEqual(
        await f.service.listRuns(local, { state: 'completed' }),
      );
      expect(await sara.whoami(ANY, {})).toEqual({
        principal: 'person:sara',
        kind: 'person',
        roles: ['approver', 'auditor'],
      });
    });

    it('brings errors back as the same CustosError', async () => {
      const alice = await as('person:alice');
      const eve = await as('person:eve');
      // An admin (and approver) cannot approve a request they filed.
      const key = await approverKey(f.service, 'person:alice').catch(() => undefined);
      const own = await alice.fileRequest(ANY, {
        request: {
          ...ENGINEER_KEY,
          resource: { new: { name: 'alice-own', kind: 'api_key', system: 'tokens' } },
        },
        justification: 'mine',
      });
      const sod = await refusal(
        alice.approveRun(ANY, {
          id: own.run.id,
          approval: signed(key ?? (await approverKey(alice, 'person:alice')), own.run),
        }),
      );
      expect(isCustosError(sod, 'SOD_VIOLATION')).toBe(true);

      const forbidden = await refusal(eve.upsertSystem(ANY, { id: 'x', type: 'tokens' }));
      expect(forbidden).toMatchObject({
        code: 'FORBIDDEN',
        details: { operation: 'upsertSystem', requires: 'admin' },
      });
      const invalid = await refusal(eve.listRuns(ANY, { limit: 0 }));
      expect(invalid).toMatchObject({ code: 'INPUT_INVALID', details: { field: 'limit' } });
      expect(await refusal(eve.getRun(ANY, { id: 'run_missing' }))).toMatchObject({ code: 'RUN_NOT_FOUND' });

      const files = bundleFiles().map((file) =>
        file.path === 'bundle.yaml' ? { ...file, content: Buffer.from('name: [').toString('base64') } : file,
      );
      const bundle = await refusal(alice.deployBundle(ANY, { files }));
      expect(bundle).toBeInstanceOf(BundleInvalidError);
      expect((bundle as BundleInvalidError).problems[0]).toMatchObject({ file: 'bundle.yaml' });

      const text = 'principals:\n  - id: person:ok\n  - id: person:also\n    groups: [group:nope]\n';
      const imported = await refusal(
        alice.importInventory(ANY, { format: 'yaml', text, file: 'people.yaml' }),
      );
      expect(imported).toBeInstanceOf(InventoryInputError);
      expect((imported as InventoryInputError).problems[0]).toMatchObject({
        file: 'people.yaml',
        row: 4,
        field: 'groups',
        code: 'PRINCIPAL_UNKNOWN',
      });
      expect(
        await f.service
          .getPrincipal({ principal: 'person:alice' }, { id: 'person:ok' })
          .catch((e: unknown) => e),
      ).toMatchObject({ code: 'NOT_FOUND' });
    });

    it('exports the ledger remotely in a form that verifies offline, and serves proofs that verify', async () => {
      const alice = await as('person:alice');
      const sara = await as('person:sara');
      const ci = await as('service:ci-pipeline');
      const { run } = await ci.fileRequest(ANY, { request: CI_TOKEN, justification: 'prove me' });
      await alice.signCheckpoint(ANY, {});
      const head = await sara.ledgerHead(ANY, {});
      expect(head.checkpoint!.size).toBe(head.size);
      const exported = await sara.exportLedger(ANY, {});
      const dir = tempDir('custos-export-');
      for (const file of exported.files) {
        fs.mkdirSync(path.dirname(path.join(dir, file.path)), { recursive: true });
        fs.writeFileSync(path.join(dir, file.path), file.content);
      }
      const report = verifyBundle(readExportDir(dir), { log: head.verifierKey });
      expect(report).toMatchObject({ kind: 'full', treeSize: head.size, trustedFromBundle: false });
      expect(JSON.stringify(exported)).not.toMatch(/"value":"ey/);
      // A run's record is in the tree, and the tree grows consistently.
      const record = (await sara.getRun(ANY, { id: run.id })).records[0]!;
      const inclusion = await sara.inclusionProof(ANY, { index: record.index, size: head.size });
      const leaf = leafHash(utf8(canonicalize(record)));
      verifyInclusion(record.index, head.size, leaf, inclusion.proof.map(b64), b64(head.rootHash));
      await alice.issueApiToken(ANY, { principal: 'person:eve', name: 'grows the ledger' });
      const later = await sara.ledgerHead(ANY, {});
      expect(later.size).toBeGreaterThan(head.size);
      const consistency = await sara.consistencyProof(ANY, { from: head.size, to: later.size });
      const proof = consistency.proof.map(b64);
      verifyConsistency(head.size, later.size, proof, b64(head.rootHash), b64(later.rootHash));
      expect(() =>
        verifyConsistency(head.size, later.size, proof, b64(later.rootHash), b64(later.rootHash)),
      ).toThrow();
      expect((await sara.verifyLedger(ANY, {})).size).toBe(later.size);
    });

    it('says when the server cannot be reached, and when an answer does not match its schema', async () => {
      const closed = new HttpClient({ baseUrl: 'http://127.0.0.1:1', token: 'cst_x' });
      expect(await refusal(closed.whoami(ANY, {}))).toMatchObject({
        code: 'SERVER_UNAVAILABLE',
        retryable: true,
      });
      // Our server never sends a wrong shape; a stand-in transport is the only way to show the check.
      const odd = new HttpClient({
        baseUrl: f.url,
        fetch: () => Promise.resolve(Response.json({ principal: 1 })),
      });
      expect(await refusal(odd.whoami(ANY, {}))).toMatchObject({ code: 'INTERNAL_ERROR' });
    });
  });
}
