import fs from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
import { custos } from '../support/cli.js';
import { tempDir } from '../support/stores.js';

const EXAMPLE = path.resolve(import.meta.dirname, '../../examples/inventory.yaml');

it('imports the example with the real binary (dry run, then for real), then lists and shows it', () => {
  const dir = tempDir();
  const data = ['--data-dir', path.join(dir, 'data')];
  expect(custos(['init', ...data]).code).toBe(0);

  const dry = custos(['identities', 'import', '--dry-run', EXAMPLE, '--as', 'person:alice', ...data]);
  expect(dry.code, dry.stderr).toBe(0);
  expect(dry.stdout).toContain('create    identity  payments-api-token');
  expect(dry.stdout).toContain('dry run: 38 to create, 0 to update, 0 unchanged; nothing written');
  expect(custos(['identities', 'list', '--json', ...data]).stdout).toContain('"items": []');

  const real = custos(['identities', 'import', EXAMPLE, ...data], { CUSTOS_ACTOR: 'person:alice' });
  expect(real.code, real.stderr).toBe(0);
  expect(real.stdout).toMatch(
    /imported: 38 created, 0 updated, 0 unchanged; 39 record\(s\), correlation import-/,
  );

  const list = custos(['identities', 'list', ...data]);
  expect(list.code).toBe(0);
  expect(list.stdout.split('\n')[0]).toMatch(
    /^ID\s+KIND\s+SYSTEM\s+EXTERNAL ID\s+STATE\s+RISK\s+OWNERS\s+EXPIRES$/,
  );
  expect(list.stdout).toMatch(
    /payments-api-token\s+api_key\s+tokens\s+payments-service\s+active\s+high\s+3\/3\s+2025-04-15/,
  );
  expect(list.stdout).toMatch(
    /payments-migrator\s+service_account\s+pg-prod\s+payments_migrator\s+requested\s+critical\s+1\/3/,
  );
  const systems = JSON.parse(custos(['systems', 'list', '--json', ...data]).stdout) as {
    items: { id: string }[];
  };
  expect(systems.items.map((s) => s.id)).toEqual([
    'crm-prod',
    'ldap-corp',
    'mdb-prod',
    'mq-prod',
    'pg-prod',
    'redis-prod',
    'tokens',
  ]);
  const page = custos(['principals', 'list', '--limit', '3', ...data]);
  expect(page.stdout.trim().split('\n')).toHaveLength(4);
  expect(page.stderr).toContain('more: --after group:engineering-leads');
  const show = custos(['systems', 'show', 'pg-prod', ...data]);
  expect(show.stdout).toMatch(/^connection\s+\{.*"password":"env:CUSTOS_PG_PASSWORD"/m);
  const missing = custos(['identities', 'show', 'nope', ...data]);
  expect(missing.code).toBe(2);
  expect(missing.stderr).toContain('error NOT_FOUND');

  const status = JSON.parse(custos(['status', '--json', ...data]).stdout) as { records: number };
  expect(status.records).toBe(40);
  expect(custos(['ledger', 'verify', ...data]).code).toBe(0);
});

it('prints every import problem as file:row field CODE message, exits 2 and writes nothing', () => {
  const dir = tempDir();
  const data = ['--data-dir', path.join(dir, 'data')];
  expect(custos(['init', ...data]).code).toBe(0);
  const csv = path.join(dir, 'identities.csv');
  fs.writeFileSync(
    csv,
    'id,kind,system,externalId,riskTier,state,owners.business\r\n' +
      'svc-a,token,nope,a,low,active,person:alice\r\n' +
      'svc-b,robot,nope,b,low,,\r\n',
  );
  const r = custos(['identities', 'import', csv, '--as', 'person:alice', ...data]);
  // The actor does not exist yet (and the file cannot bootstrap it: it holds no principals).
  expect(r.code).toBe(2);
  expect(r.stderr).toContain('error PRINCIPAL_UNKNOWN');

  expect(custos(['principals', 'import', EXAMPLE, '--as', 'person:alice', ...data]).code).toBe(0);
  const before = JSON.parse(custos(['status', '--json', ...data]).stdout) as { records: number };
  const bad = custos(['identities', 'import', csv, '--as', 'person:alice', ...data]);
  expect(bad.code).toBe(2);
  expect(bad.stderr.split('\n').slice(0, 6)).toEqual([
    `${csv}:2 owners.platform OWNERS_MISSING an active identity needs its platform owner`,
    `${csv}:2 owners.policy OWNERS_MISSING an active identity needs its policy owner`,
    `${csv}:2 system SYSTEM_UNKNOWN system nope does not exist`,
    `${csv}:3 kind ENUM_INVALID must be one of service_account, api_key, token, certificate, workload, ai_agent`,
    `${csv}:3 system SYSTEM_UNKNOWN system nope does not exist`,
    `error IMPORT_INVALID: 5 problem(s) in ${csv}; nothing was written`,
  ]);
  const after = JSON.parse(custos(['status', '--json', ...data]).stdout) as { records: number };
  expect(after.records).toBe(before.records);
  expect(custos(['identities', 'import', csv, ...data]).stderr).toContain(
    'error INPUT_INVALID: name the acting principal',
  );
});
