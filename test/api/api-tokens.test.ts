/**
 * API tokens on both stores: the bootstrap of the first admin token, issue (shown once, stored only
 * as a SHA-256 under its public id, recorded without any secret), scopes, listing, and revocation.
 */
import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authenticateApiToken, bootstrapAdminToken } from '../../src/service/index.js';
import { storeKinds } from '../support/stores.js';
import { createInstallation, type Installation } from './support.js';

/** The id and secret of `cst_<id>_<secret>` (the base64url secret may itself contain `_`). */
function parts(token: string): { id: string; secret: string } {
  const m = /^cst_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/.exec(token);
  if (m === null) throw new Error('not a token');
  return { id: m[1]!, secret: m[2]! };
}

for (const kind of storeKinds()) {
  describe(`API tokens on ${kind.name}`, () => {
    let app: Installation;
    beforeAll(async () => {
      app = await createInstallation(kind);
    });
    afterAll(async () => {
      await app.close();
    });
    const deps = () => ({ ledger: app.custos.ledger, inventory: app.custos.inventory, now: app.custos.now });
    const records = async (type: string) => {
      const rows = await app.custos.store.read.query<{ data: Uint8Array }>(
        'SELECT data FROM ledger_records ORDER BY idx',
      );
      return rows
        .map(
          (r) =>
            JSON.parse(Buffer.from(r.data).toString('utf8')) as {
              type: string;
              actor: { id: string };
              payload: Record<string, unknown>;
            },
        )
        .filter((r) => r.type === type);
    };

    it('bootstraps the first admin token locally, for an admin only', async () => {
      await expect(bootstrapAdminToken(app.custos, { principal: 'person:nobody' })).rejects.toMatchObject({
        code: 'PRINCIPAL_UNKNOWN',
      });
      await expect(bootstrapAdminToken(app.custos, { principal: 'person:eve' })).rejects.toMatchObject({
        code: 'FORBIDDEN',
      });
      const issued = await bootstrapAdminToken(app.custos, { principal: 'person:alice', name: 'quickstart' });
      expect(issued.token).toMatch(/^cst_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
      expect(issued).toMatchObject({
        principal: 'person:alice',
        scopes: ['admin', 'approver', 'owner'],
        createdBy: 'custos',
        revokedAt: null,
      });
      const caller = await authenticateApiToken(deps(), issued.token);
      expect(caller).toEqual({
        principal: 'person:alice',
        scopes: ['admin', 'approver', 'owner'],
        tokenId: issued.id,
      });
      expect((await app.service.whoami(caller, {})).roles).toEqual(['admin', 'approver', 'owner']);
    });

    it('stores only a hash, records no secret, and shows the token once', async () => {
      const issued = await app.service.issueApiToken(
        { principal: 'person:alice' },
        { principal: 'service:ci-pipeline', name: 'ci', expiresInDays: 7 },
      );
      const secret = parts(issued.token).secret;
      const [row] = await app.custos.store.read.query<Record<string, unknown>>(
        'SELECT * FROM api_tokens WHERE id = ?',
        [issued.id],
      );
      expect(row!['secret_hash']).toBe(crypto.createHash('sha256').update(secret).digest('hex'));
      expect(JSON.stringify(row)).not.toContain(secret);
      const [record] = (await records('api.token_issued')).filter((r) => r.payload['id'] === issued.id);
      expect(record).toMatchObject({
        actor: { id: 'person:alice' },
        payload: { id: issued.id, scopes: ['requester'], label: 'ci' },
      });
      expect(JSON.stringify(record)).not.toContain(secret);
      expect(JSON.stringify(record)).not.toContain(String(row!['secret_hash']));
      expect(Date.parse(issued.expiresAt) - Date.parse(issued.createdAt)).toBe(7 * 86_400_000);
      const listed = await app.service.listApiTokens({ principal: 'service:ci-pipeline' }, {});
      expect(listed.items.map((t) => t.id)).toEqual([issued.id]);
      expect(JSON.stringify(listed)).not.toContain(secret);
    });

    it('refuses tokens that are not exactly right', async () => {
      const issued = await app.service.issueApiToken(
        { principal: 'person:alice' },
        { principal: 'person:eve', name: 'eve' },
      );
      const { id, secret } = parts(issued.token);
      const other = crypto.randomBytes(32).toString('base64url');
      for (const bad of [
        `cst_${id}_${other}`,
        `cst_${'0'.repeat(16)}_${secret}`,
        `cst_${id}_${secret}x`,
        `${issued.token} `,
        '',
        `CST_${id}_${secret}`,
      ]) {
        await expect(authenticateApiToken(deps(), bad), bad).rejects.toMatchObject({
          code: 'UNAUTHENTICATED',
        });
      }
    });

    it('lets an admin list and revoke anyone’s tokens, others only their own', async () => {
      const eve = { principal: 'person:eve' };
      const mine = await app.service.issueApiToken(
        { principal: 'person:alice' },
        { principal: 'person:eve', name: 'mine' },
      );
      const dans = await app.service.issueApiToken(
        { principal: 'person:alice' },
        { principal: 'person:dan', name: 'dans' },
      );
      await expect(app.service.listApiTokens(eve, { principal: 'person:dan' })).rejects.toMatchObject({
        code: 'FORBIDDEN',
      });
      expect(
        (await app.service.listApiTokens(eve, {})).items.every((t) => t.principal === 'person:eve'),
      ).toBe(true);
      expect(
        (
          await app.service.listApiTokens({ principal: 'person:alice' }, { principal: 'person:dan' })
        ).items.map((t) => t.id),
      ).toEqual([dans.id]);
      await expect(app.service.revokeApiToken(eve, { id: dans.id })).rejects.toMatchObject({
        code: 'FORBIDDEN',
      });
      await expect(app.service.revokeApiToken(eve, { id: 'ffffffffffffffff' })).rejects.toMatchObject({
        code: 'FORBIDDEN',
      });
      await expect(
        app.service.revokeApiToken({ principal: 'person:alice' }, { id: 'ffffffffffffffff' }),
      ).rejects.toMatchObject({ code: 'NOT_FOUND' });
      const revoked = await app.service.revokeApiToken(eve, { id: mine.id });
      expect(revoked.revokedAt).not.toBeNull();
      const size = await app.custos.ledger.size();
      expect((await app.service.revokeApiToken(eve, { id: mine.id })).revokedAt).toBe(revoked.revokedAt);
      expect(await app.custos.ledger.size()).toBe(size);
      expect((await records('api.token_revoked')).filter((r) => r.payload['id'] === mine.id)).toHaveLength(1);
      await expect(authenticateApiToken(deps(), mine.token)).rejects.toMatchObject({
        code: 'UNAUTHENTICATED',
        details: { reason: 'revoked' },
      });
      await expect(
        app.service.issueApiToken({ principal: 'person:alice' }, { principal: 'group:dba', name: 'g' }),
      ).rejects.toMatchObject({ code: 'PRINCIPAL_KIND_INVALID' });
    });
  });
}
