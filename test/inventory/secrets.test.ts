import { afterEach, describe, expect, it } from 'vitest';
import { verifyLive } from '../../src/ledger/ledger-verify.js';
import { storeKinds } from '../support/stores.js';
import {
  PG_PROD,
  count,
  createTestInventory,
  records,
  seedPrincipals,
  storedBytes,
  type TestInventory,
} from './support.js';

const as = { actor: 'person:alice' };
const SECRET = 'hunter2-Zq8vX3-never-stored';

for (const kind of storeKinds()) {
  describe(`inventory secrets and personal data on ${kind.name}`, () => {
    let ti: TestInventory;
    afterEach(async () => {
      await ti.close();
    });

    it('refuses a literal secret in a connection, and never stores it anywhere', async () => {
      ti = await createTestInventory(kind);
      const { inventory, t } = ti;
      await seedPrincipals(inventory);
      const literal = [
        { password: SECRET },
        { clientSecret: SECRET },
        { api_key: SECRET },
        { sslkey: SECRET },
        { bearerToken: SECRET },
        { password: `env:${SECRET}!` },
      ];
      for (const connection of literal) {
        const error: unknown = await inventory
          .createSystem({ ...PG_PROD, connection: { host: 'db', ...connection } }, as)
          .catch((e: unknown) => e);
        expect(error).toMatchObject({
          code: 'SECRET_NOT_REFERENCE',
          details: { field: `connection.${Object.keys(connection)[0]!}` },
        });
        expect((error as Error).message).not.toContain('hunter2');
      }
      const pem = '-----BEGIN PRIVATE KEY-----\nMIIEv' + SECRET;
      await expect(
        inventory.createSystem({ ...PG_PROD, connection: { host: pem } }, as),
      ).rejects.toMatchObject({ code: 'SECRET_NOT_REFERENCE', details: { field: 'connection.host' } });
      await expect(inventory.updatePrincipal('person:bob', { displayName: pem }, as)).rejects.toMatchObject({
        code: 'SECRET_NOT_REFERENCE',
        details: { field: 'displayName' },
      });
      await inventory.createSystem(PG_PROD, as);
      await expect(
        inventory.createIdentity(
          {
            id: 'svc',
            kind: 'token',
            system: 'pg-prod',
            externalId: 'svc',
            riskTier: 'low',
            credentials: [{ fingerprint: SECRET, issuedAt: '2025-01-01' }],
          },
          as,
        ),
      ).rejects.toMatchObject({
        code: 'FINGERPRINT_INVALID',
        details: { field: 'credentials.0.fingerprint' },
      });
      await expect(
        inventory.createIdentity(
          {
            id: 'svc',
            kind: 'token',
            system: 'pg-prod',
            externalId: 'svc',
            riskTier: 'low',
            tags: { token: SECRET },
          },
          as,
        ),
      ).rejects.toMatchObject({ code: 'SECRET_NOT_REFERENCE', details: { field: 'tags.token' } });
      expect(await count(t, 'inventory_identities')).toBe(0);
      const bytes = await storedBytes(t);
      expect(bytes).toContain('env:CUSTOS_PG_PASSWORD'); // the dump does see what was stored
      expect(bytes).not.toContain('hunter2');
    });

    it('stores and records secret references, never under a secret-named record field', async () => {
      ti = await createTestInventory(kind);
      const { inventory, t } = ti;
      await seedPrincipals(inventory);
      const system = await inventory.createSystem(
        { ...PG_PROD, connection: { ...PG_PROD.connection, signingKey: 'secret:tokens/signing-key' } },
        as,
      );
      expect(system.connection['password']).toBe('env:CUSTOS_PG_PASSWORD');
      await inventory.updateSystem(
        'pg-prod',
        { connection: { ...PG_PROD.connection, password: 'env:PG_PW_2' } },
        as,
      );
      const [created, updated] = (await records(t)).filter((r) => r.type.startsWith('inventory.system_'));
      expect(created!.payload['system']).toMatchObject({
        connection: {
          settings: { host: 'db.example.org', port: 5432, user: 'custos' },
          secretRefs: [
            { setting: 'password', ref: 'env:CUSTOS_PG_PASSWORD' },
            { setting: 'signingKey', ref: 'secret:tokens/signing-key' },
          ],
        },
        lastReconciledAt: null,
        openCriticalFindings: 0,
      });
      expect(updated!.payload).toEqual({
        changes: {
          connection: {
            from: {
              settings: { host: 'db.example.org', port: 5432, user: 'custos' },
              secretRefs: [
                { setting: 'password', ref: 'env:CUSTOS_PG_PASSWORD' },
                { setting: 'signingKey', ref: 'secret:tokens/signing-key' },
              ],
            },
            to: {
              settings: { host: 'db.example.org', port: 5432, user: 'custos' },
              secretRefs: [{ setting: 'password', ref: 'env:PG_PW_2' }],
            },
          },
        },
      });
    });

    it('keeps personal data in the vault: records hold only commitments', async () => {
      ti = await createTestInventory(kind);
      const { inventory, t } = ti;
      await seedPrincipals(inventory);
      const carol = await inventory.createPrincipal(
        { id: 'person:carol', displayName: 'Carol Diaz', email: 'carol@example.org' },
        as,
      );
      expect(carol).toMatchObject({ displayName: 'Carol Diaz', email: 'carol@example.org' });
      await inventory.updatePrincipal('person:carol', { email: 'c.diaz@example.org', roles: ['owner'] }, as);
      await expect(
        inventory.createPrincipal({ id: 'service:bot', displayName: 'Bot' }, as),
      ).rejects.toMatchObject({ code: 'FIELD_INVALID', details: { field: 'displayName' } });

      const all = await records(t);
      const text = all.map((r) => JSON.stringify(r)).join('\n');
      for (const pii of ['Carol Diaz', 'carol@example.org', 'c.diaz@example.org', 'Diaz'])
        expect(text).not.toContain(pii);
      const created = all.find(
        (r) => r.subject?.id === 'person:carol' && r.type === 'inventory.principal_created',
      )!;
      const principal = created.payload['principal'] as Record<string, string>;
      expect(principal['displayName']).toMatch(/^commit:sha256:/);
      expect(principal['email']).toMatch(/^commit:sha256:/);
      const updated = all.at(-1)!.payload['changes'] as Record<string, { from: string; to: string }>;
      expect(updated['email']!.from).toBe(principal['email']);
      expect(updated['email']!.to).toMatch(/^commit:sha256:/);
      expect(updated['displayName']).toBeUndefined();
      expect(updated['roles']).toEqual({ from: [], to: ['owner'] });

      // Erasing the vault row erases the value everywhere; the ledger still verifies.
      await t.store.write.run('DELETE FROM pii_vault WHERE commitment = ?', [updated['email']!.to]);
      expect(await inventory.getPrincipal('person:carol')).toMatchObject({
        displayName: 'Carol Diaz',
        email: null,
      });
      await verifyLive(t.ledger);
    });
  });
}
