import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { importInventory, type ImportSource, type PlanItem } from '../../src/inventory/index.js';
import { verifyLive } from '../../src/ledger/ledger-verify.js';
import { storeKinds } from '../support/stores.js';
import { FINGERPRINT, count, createTestInventory, records, type TestInventory } from './support.js';

const EXAMPLE = path.resolve(import.meta.dirname, '../../examples/inventory.yaml');
const yamlText = fs.readFileSync(EXAMPLE, 'utf8');
const as = { actor: 'person:alice' };

function actions(items: readonly PlanItem[]): string[] {
  return items.map((i) => `${i.action} ${i.kind} ${i.id}`);
}

const PRINCIPALS_CSV = [
  'id,displayName,email,roles,groups',
  'group:dba,,,,',
  'person:alice,"Martin, Alice",alice@example.org,admin;approver,group:dba',
  'person:bob,"Bob ""the DBA"" Keller",bob@example.org,owner,group:dba',
  'service:ci-pipeline,,,requester,',
  '',
].join('\r\n');
const SYSTEMS_CSV = [
  'id,type,environment,owner,connection.host,connection.port,connection.password',
  'pg-prod,postgres,prod,group:dba,db.example.org,5432,env:CUSTOS_PG_PASSWORD',
].join('\n');
const IDENTITIES_CSV = [
  'id,kind,system,externalId,state,riskTier,owners.business,owners.policy,owners.platform,entitlements,tags.app,credentials.0.fingerprint,credentials.0.issuedAt',
  `reporting-svc,service_account,pg-prod,reporting_ro,active,medium,person:bob,group:dba,person:alice,"SELECT ON reporting.*;CONNECT ON payments",reporting,${FINGERPRINT},2025-02-01`,
  'migrator,service_account,pg-prod,payments_migrator,requested,critical,person:bob,,,,,,',
].join('\n');

for (const kind of storeKinds()) {
  describe(`inventory import on ${kind.name}`, () => {
    let ti: TestInventory;
    afterEach(async () => {
      await ti.close();
    });

    it('imports the YAML example (bootstrapping its actor), then re-imports it as unchanged', async () => {
      ti = await createTestInventory(kind);
      const { inventory, t } = ti;
      const source: ImportSource = { file: 'examples/inventory.yaml', text: yamlText };
      const first = await importInventory(inventory, source, as);
      expect(first.items).toHaveLength(38);
      expect(first.items.every((i) => i.action === 'create')).toBe(true);
      const all = await records(t);
      expect(all).toHaveLength(1 + 38 + 1);
      expect(all[1]).toMatchObject({
        type: 'inventory.principal_created',
        subject: { id: 'person:alice' },
        actor: { kind: 'human', id: 'person:alice' },
        payload: { bootstrap: true },
      });
      expect(all.filter((r) => r.payload['bootstrap'] !== undefined)).toHaveLength(1);
      expect(new Set(all.slice(1).map((r) => r.correlationId)).size).toBe(1);
      expect(all.at(-1)).toMatchObject({
        type: 'inventory.imported',
        payload: { file: 'inventory.yaml', create: 38, update: 0, unchanged: 0 },
      });
      expect(await inventory.getIdentity('payments-api-token')).toMatchObject({
        state: 'active',
        riskTier: 'high',
        credentials: [{ issuedAt: '2025-01-15T09:00:00.000Z', expiresAt: '2025-04-15T09:00:00.000Z' }],
      });
      expect((await inventory.getPrincipal('group:platform'))?.members).toEqual([
        'person:alice',
        'person:pat',
        'service:ci-pipeline',
      ]);

      const again = await importInventory(inventory, source, { actor: 'service:ci-pipeline' });
      expect(again.items.every((i) => i.action === 'unchanged')).toBe(true);
      const changed = yamlText.replace('riskTier: medium', 'riskTier: high');
      const third = await importInventory(inventory, { ...source, text: changed }, as);
      expect(actions(third.items).filter((a) => !a.startsWith('unchanged'))).toEqual([
        'update identity reporting-svc',
      ]);
      expect((await records(t)).at(-2)).toMatchObject({
        type: 'inventory.identity_updated',
        payload: { changes: { riskTier: { from: 'medium', to: 'high' } } },
      });
      await verifyLive(t.ledger);
    });

    it('imports the same inventory from JSON', async () => {
      ti = await createTestInventory(kind);
      const json = JSON.stringify(parseYaml(yamlText), null, 2);
      const result = await importInventory(ti.inventory, { file: 'inventory.json', text: json }, as);
      expect(result.items).toHaveLength(38);
      expect(await count(ti.t, 'inventory_identities')).toBe(8);
      expect((await ti.inventory.getSystem('pg-prod'))?.connection['password']).toBe(
        'env:CUSTOS_PG_PASSWORD',
      );
    });

    it('imports CSV files, one kind each, with quoted fields, lists and dotted columns', async () => {
      ti = await createTestInventory(kind);
      const { inventory } = ti;
      await importInventory(inventory, { file: 'p.csv', text: PRINCIPALS_CSV, kind: 'principal' }, as);
      await importInventory(inventory, { file: 's.csv', text: SYSTEMS_CSV, kind: 'system' }, as);
      const result = await importInventory(
        inventory,
        { file: 'i.csv', text: IDENTITIES_CSV, kind: 'identity' },
        as,
      );
      expect(actions(result.items)).toEqual(['create identity reporting-svc', 'create identity migrator']);
      expect(await inventory.getPrincipal('person:bob')).toMatchObject({
        displayName: 'Bob "the DBA" Keller',
        roles: ['owner'],
        groups: ['group:dba'],
      });
      expect((await inventory.getPrincipal('person:alice'))?.displayName).toBe('Martin, Alice');
      expect(await inventory.getSystem('pg-prod')).toMatchObject({
        connection: { host: 'db.example.org', port: '5432', password: 'env:CUSTOS_PG_PASSWORD' },
      });
      expect(await inventory.getIdentity('reporting-svc')).toMatchObject({
        state: 'active',
        owners: { business: 'person:bob', policy: 'group:dba', platform: 'person:alice' },
        entitlements: ['CONNECT ON payments', 'SELECT ON reporting.*'],
        tags: { app: 'reporting' },
        credentials: [{ fingerprint: FINGERPRINT, issuedAt: '2025-02-01T00:00:00.000Z' }],
      });
      expect(await inventory.getIdentity('migrator')).toMatchObject({
        state: 'requested',
        owners: { business: 'person:bob' },
      });
    });

    it('--dry-run plans without writing anything', async () => {
      ti = await createTestInventory(kind);
      const { inventory, t } = ti;
      const size = await t.ledger.size();
      const plan = await importInventory(
        inventory,
        { file: 'inventory.yaml', text: yamlText },
        { ...as, dryRun: true },
      );
      expect(plan.dryRun).toBe(true);
      expect(plan.items).toHaveLength(38);
      expect(plan.records).toEqual([]);
      expect(await t.ledger.size()).toBe(size);
      for (const table of [
        'inventory_principals',
        'inventory_systems',
        'inventory_identities',
        'inventory_memberships',
        'pii_vault',
      ]) {
        expect(await count(t, table)).toBe(0);
      }
      await importInventory(inventory, { file: 'inventory.yaml', text: yamlText }, as);
      const size2 = await t.ledger.size();
      const changed = yamlText.replace(
        'environment: prod\n    owner: group:dba',
        'environment: staging\n    owner: group:dba',
      );
      const second = await importInventory(
        inventory,
        { file: 'inventory.yaml', text: changed },
        { ...as, dryRun: true },
      );
      expect(second.items.find((i) => i.action === 'update')).toMatchObject({
        kind: 'system',
        id: 'pg-prod',
        changed: ['environment'],
      });
      expect(await t.ledger.size()).toBe(size2);
      expect((await inventory.getSystem('pg-prod'))?.environment).toBe('prod');
    });
  });
}
