import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  InventoryInputError,
  importInventory,
  type ImportSource,
  type Inventory,
} from '../../src/inventory/index.js';
import { storeKinds } from '../support/stores.js';
import { count, createTestInventory, records, storedBytes, type TestInventory } from './support.js';

const EXAMPLE = fs.readFileSync(path.resolve(import.meta.dirname, '../../examples/inventory.yaml'), 'utf8');
const as = { actor: 'person:alice' };

// Every line is numbered: the expected problems below name these lines.
const BAD_YAML = `principals:
  - id: person:erin
    roles: [admin, superuser]
    groups: [group:ghosts]
  - id: person:erin
  - id: group:dba
    email: dba@example.org
systems:
  - id: redis-dev
    type: redys
    environment: dev
    owner: person:nobody
    connection:
      host: redis.dev
      password: hunter2-literal
  - id: pg-prod
    type: mariadb
identities:
  - id: svc-a
    kind: service_account
    system: mysql-prod
    externalId: a
    riskTier: low
    state: active
    owners:
      business: person:bob
  - id: svc-b
    kind: robot
    system: pg-prod
    externalId: reporting_ro
    riskTier: low
    colour: blue
    credentials:
      - fingerprint: sk_live_abc
        issuedAt: 2025-01-01
  - id: svc-c
    kind: token
    system: tokens
  - id: payments-migrator
    state: suspended
  - id: reporting-svc
    owners:
      policy: service:ci-pipeline
`;

const EXPECTED_YAML = [
  '3 roles.1 ENUM_INVALID',
  '4 groups PRINCIPAL_UNKNOWN',
  '5 id DUPLICATE_ID',
  '7 email FIELD_INVALID',
  '10 type ENUM_INVALID',
  '12 owner PRINCIPAL_UNKNOWN',
  '15 connection.password SECRET_NOT_REFERENCE',
  '17 type FIELD_IMMUTABLE',
  '21 system SYSTEM_UNKNOWN',
  '25 owners.platform OWNERS_MISSING',
  '25 owners.policy OWNERS_MISSING',
  '28 kind ENUM_INVALID',
  '30 externalId DUPLICATE_ID',
  '32 colour UNKNOWN_FIELD',
  '34 credentials.0.fingerprint FINGERPRINT_INVALID',
  '36 externalId FIELD_REQUIRED',
  '36 riskTier FIELD_REQUIRED',
  '40 state STATE_TRANSITION_INVALID',
  '43 owners.policy PRINCIPAL_KIND_INVALID',
];

async function problemsOf(inventory: Inventory, source: ImportSource, dryRun = false): Promise<string[]> {
  const error: unknown = await importInventory(inventory, source, { ...as, dryRun }).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(InventoryInputError);
  const { problems, code, message } = error as InventoryInputError;
  expect(code).toBe('IMPORT_INVALID');
  expect(message).not.toContain('hunter2');
  for (const p of problems) {
    expect(p.file).toBe(source.file);
    expect(p.message).not.toContain('hunter2');
  }
  return problems.map((p) => `${p.row} ${p.field} ${p.code}`);
}

for (const kind of storeKinds()) {
  describe(`inventory import problems on ${kind.name}`, () => {
    let ti: TestInventory;
    afterEach(async () => {
      await ti.close();
    });

    /** The ledger size and the row count of every inventory table. */
    async function snapshot(): Promise<number[]> {
      const tables = [
        'inventory_principals',
        'inventory_memberships',
        'inventory_systems',
        'inventory_identities',
        'pii_vault',
      ];
      const counts = [await ti.t.ledger.size()];
      for (const table of tables) counts.push(await count(ti.t, table));
      return counts;
    }

    async function seeded(): Promise<number[]> {
      ti = await createTestInventory(kind);
      await importInventory(ti.inventory, { file: 'inventory.yaml', text: EXAMPLE }, as);
      return snapshot();
    }

    it('reports every problem of a YAML file with its line, field and code, and writes nothing', async () => {
      const before = await seeded();
      for (const dryRun of [false, true]) {
        expect(await problemsOf(ti.inventory, { file: 'bad.yaml', text: BAD_YAML }, dryRun)).toEqual(
          EXPECTED_YAML,
        );
      }
      expect(await snapshot()).toEqual(before);
    });

    it('writes nothing at all when any entry has a problem', async () => {
      const before = await seeded();
      // Valid entries beside a single bad one: none of them is written.
      const text = `principals:\n  - id: person:zoe\nsystems:\n  - id: redis-dev\n    type: redis\n    environment: dev\n    owner: group:dba\n    connection: {password: hunter2-literal}\n`;
      expect(await problemsOf(ti.inventory, { file: 'one.yaml', text })).toEqual([
        '8 connection.password SECRET_NOT_REFERENCE',
      ]);
      expect(await snapshot()).toEqual(before);
      expect(await ti.inventory.getPrincipal('person:zoe')).toBeUndefined();
      expect(await storedBytes(ti.t)).not.toContain('hunter2');
    });

    it('writes nothing when an entry cannot even be read (a malformed id)', async () => {
      const before = await seeded();
      const text = `principals:\n  - id: person:ok\n  - id: nobody\n`;
      const problems = await problemsOf(ti.inventory, { file: 'ids.yaml', text });
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatch(/^3 id /);
      expect(await snapshot()).toEqual(before);
      expect(await ti.inventory.getPrincipal('person:ok')).toBeUndefined();
    });

    it('names lines in JSON and CSV, and reports malformed files', async () => {
      await seeded();
      const json = JSON.stringify(
        {
          identities: [
            { id: 'svc-j', kind: 'token', system: 'tokens', externalId: 'j', riskTier: 'low' },
            { id: 'svc-k', kind: 'token', system: 'nope', externalId: 'k', riskTier: 'extreme' },
          ],
        },
        null,
        2,
      );
      expect(await problemsOf(ti.inventory, { file: 'bad.json', text: json })).toEqual([
        '13 system SYSTEM_UNKNOWN',
        '15 riskTier ENUM_INVALID',
      ]);
      const csv = [
        'id,kind,system,externalId,riskTier,owners.busines,tags.note',
        'svc-1,token,tokens,one,low,,"a note',
        'over two lines"',
        'svc-1,token,tokens,two,low,,',
        'svc-3,token,tokens,three,low',
        'svc-4,token,tokens,payments-service,low,,',
      ].join('\r\n');
      expect(await problemsOf(ti.inventory, { file: 'bad.csv', text: csv, kind: 'identity' })).toEqual([
        '1 owners.busines UNKNOWN_FIELD',
        '4 id DUPLICATE_ID',
        '5  IMPORT_MALFORMED',
        '6 externalId DUPLICATE_ID',
      ]);
      const malformed: [ImportSource, string][] = [
        [{ file: 'q.csv', text: 'id,kind\n"svc,token\nx,y\n', kind: 'identity' }, '2  IMPORT_MALFORMED'],
        [{ file: 'e.csv', text: '', kind: 'identity' }, '1  IMPORT_MALFORMED'],
        [{ file: 'y.yaml', text: 'systems:\n  - id: a\n   type: [\n' }, '3  YAML_INVALID'],
        [{ file: 'd.yaml', text: 'systems:\n  - id: a\n    id: b\n' }, '3  YAML_INVALID'],
        [
          { file: 'j.json', text: '{\n  "systems": [\n    {"id": "hunter2-literal",}\n  ]\n}' },
          '3  IMPORT_MALFORMED',
        ],
        [{ file: 'l.yaml', text: '- id: a\n' }, '1  IMPORT_MALFORMED'],
        [{ file: 'w.yaml', text: 'servers: []\nsystems: {}\n' }, '1 servers UNKNOWN_FIELD'],
      ];
      for (const [source, expected] of malformed) {
        const got = await problemsOf(ti.inventory, source);
        expect(got[0], source.file).toBe(expected);
      }
      expect(await problemsOf(ti.inventory, { file: 'w.yaml', text: 'servers: []\nsystems: {}\n' })).toEqual([
        '1 servers UNKNOWN_FIELD',
        '2 systems FIELD_INVALID',
      ]);
    });

    it('refuses an unknown or group actor before writing anything', async () => {
      const before = await seeded();
      const text = 'principals:\n  - id: person:zoe\n';
      for (const [actor, code] of [
        ['person:nobody', 'PRINCIPAL_UNKNOWN'],
        ['group:dba', 'PRINCIPAL_KIND_INVALID'],
        ['root', 'FIELD_INVALID'],
      ] as const) {
        await expect(
          importInventory(ti.inventory, { file: 'a.yaml', text }, { actor }),
        ).rejects.toMatchObject({ code });
      }
      expect(await snapshot()).toEqual(before);
      expect((await records(ti.t)).some((r) => r.subject?.id === 'person:zoe')).toBe(false);
    });
  });
}
