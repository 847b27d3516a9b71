/**
 * LocalService on both stores, the core path: a request filed by a non-human principal runs at
 * once (low risk) and its token verifies downstream; a medium-risk one waits for a signed approval
 * by a named person, who cannot be its requester — not even an admin.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { isCustosError } from '../../src/core/errors.js';
import { storeKinds } from '../support/stores.js';
import {
  CI_TOKEN,
  ENGINEER_KEY,
  EXCEPTION,
  approverKey,
  createInstallation,
  signed,
  type Installation,
} from './support.js';

for (const kind of storeKinds()) {
  describe(`LocalService on ${kind.name}`, () => {
    let app: Installation;
    afterEach(async () => {
      await app.close();
    });

    it('files, approves, advances and lists runs, with records', async () => {
      app = await createInstallation(kind);
      const s = app.service;
      const ci = { principal: 'service:ci-pipeline' };
      const auto = await s.fileRequest(ci, { request: CI_TOKEN, justification: 'deploy payments' });
      expect(auto.run.state).toBe('completed');
      expect(auto.secrets).toHaveLength(1);
      const presented = await s.verifyToken(ci, { token: auto.secrets[0]!.value });
      expect(presented).toMatchObject({ valid: true, identity: 'payments-deploy', runId: auto.run.id });

      const eve = { principal: 'person:eve' };
      const filed = await s.fileRequest(eve, { request: ENGINEER_KEY, justification: 'metrics exporter' });
      expect(filed.run.state).toBe('awaiting_approval');
      const alice = await approverKey(s, 'person:alice');
      const approved = await s.approveRun(
        { principal: 'person:alice' },
        { id: filed.run.id, approval: signed(alice, filed.run) },
      );
      expect(approved.state).toBe('approved');
      // Only its requester executes a run that issues a credential.
      await expect(s.advanceRun({ principal: 'person:alice' }, { id: filed.run.id })).rejects.toMatchObject({
        code: 'FORBIDDEN',
      });
      const done = await s.advanceRun(eve, { id: filed.run.id });
      expect(done.run.state).toBe('completed');
      expect(done.secrets).toHaveLength(1);

      const got = await s.getRun(ci, { id: filed.run.id });
      expect(got.records.map((r) => r.type)).toEqual(
        expect.arrayContaining(['run.requested', 'run.approval_counted', 'run.verified']),
      );
      expect(JSON.stringify(got)).not.toContain(done.secrets[0]!.value);
      const page1 = await s.listRuns(ci, { limit: 1 });
      expect(page1.items.map((r) => r.id)).toEqual([auto.run.id]);
      const page2 = await s.listRuns(ci, { limit: 1, after: page1.next! });
      expect(page2.items.map((r) => r.id)).toEqual([filed.run.id]);
      expect(page2.next).toBeUndefined();
    });

    it('an admin cannot approve a request they filed', async () => {
      app = await createInstallation(kind);
      const s = app.service;
      const alice = { principal: 'person:alice' };
      const key = await approverKey(s, 'person:alice');
      const filed = await s.fileRequest(alice, {
        request: {
          ...ENGINEER_KEY,
          resource: { new: { name: 'alice-key', kind: 'api_key', system: 'tokens' } },
        },
        justification: 'mine',
      });
      expect(filed.run.state).toBe('awaiting_approval');
      const refused = await s
        .approveRun(alice, { id: filed.run.id, approval: signed(key, filed.run) })
        .catch((e: unknown) => e);
      expect(isCustosError(refused, 'SOD_VIOLATION')).toBe(true);
      expect((await s.getRun(alice, { id: filed.run.id })).run.state).toBe('awaiting_approval');
    });
  });
}

for (const kind of storeKinds()) {
  describe(`LocalService for the local CLI on ${kind.name}`, () => {
    let app: Installation;
    afterEach(async () => {
      await app.close();
    });

    it('validates input and resolves the caller, writing nothing when refused', async () => {
      app = await createInstallation(kind);
      const s = app.service;
      const size = await app.custos.ledger.size();
      await expect(s.whoami({ principal: 'person:nobody' }, {})).rejects.toMatchObject({
        code: 'UNAUTHENTICATED',
      });
      await expect(s.whoami({ principal: 'group:dba' }, {})).rejects.toMatchObject({
        code: 'UNAUTHENTICATED',
      });
      await expect(s.listRuns({ principal: 'person:eve' }, { limit: 5000 })).rejects.toMatchObject({
        code: 'INPUT_INVALID',
        details: { field: 'limit' },
      });
      await expect(
        s.fileRequest({ principal: 'person:eve' }, { request: ENGINEER_KEY, justification: '' }),
      ).rejects.toMatchObject({ code: 'INPUT_INVALID', details: { field: 'justification' } });
      await expect(
        s.upsertSystem({ principal: 'person:eve' }, { id: 'x', type: 'tokens' }),
      ).rejects.toMatchObject({ code: 'FORBIDDEN' });
      expect(await app.custos.ledger.size()).toBe(size);
      expect((await s.jwks({ principal: 'anyone' }, {})).keys).toHaveLength(1);
    });

    it('files an exception through the request path, and lists its grant once approved', async () => {
      app = await createInstallation(kind);
      const s = app.service;
      const eve = { principal: 'person:eve' };
      const filed = await s.fileRequest(eve, { request: EXCEPTION, justification: 'vendor freeze' });
      expect(filed.run.state).toBe('awaiting_approval');
      const sam = await approverKey(s, 'person:sam');
      // Sam is in group:security, which the exception route needs; Eve cannot approve her own.
      expect(
        (
          await s.approveRun(
            { principal: 'person:sam' },
            { id: filed.run.id, approval: signed(sam, filed.run) },
          )
        ).state,
      ).toBe('approved');
      const done = await s.advanceRun(eve, { id: filed.run.id });
      expect(done.run.state).toBe('completed');
      const grants = await s.listGrants({ principal: 'person:sara' }, { identity: 'payments-api-token' });
      expect(grants.items).toHaveLength(1);
      expect(grants.items[0]).toMatchObject({ kind: 'exception', state: 'active', runId: filed.run.id });
      expect(await s.getGrant(eve, { id: grants.items[0]!.id })).toEqual(grants.items[0]);
      // An owner of the identity may abort a run on it; someone unrelated may not.
      const again = await s.fileRequest(eve, { request: EXCEPTION, justification: 'again' });
      await expect(
        s.abortRun({ principal: 'person:dan' }, { id: again.run.id, reason: 'x' }),
      ).rejects.toMatchObject({ code: 'FORBIDDEN' });
      expect(
        (await s.abortRun({ principal: 'person:carol' }, { id: again.run.id, reason: 'not needed' })).state,
      ).toBe('aborted');
    });
  });
}
