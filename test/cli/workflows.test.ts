import fs from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
import { custos } from '../support/cli.js';
import { tempDir } from '../support/stores.js';

const EXAMPLES = path.resolve(import.meta.dirname, '../../examples');

it('lints, tests, deploys and approves the example bundle with the real binary', () => {
  const data = ['--data-dir', path.join(tempDir(), 'data')];
  expect(custos(['init', ...data]).code).toBe(0);
  expect(
    custos(['principals', 'import', path.join(EXAMPLES, 'inventory.yaml'), '--as', 'person:alice', ...data])
      .code,
  ).toBe(0);
  const bundle = path.join(EXAMPLES, 'bundle');
  expect(custos(['workflows', 'lint', bundle]).stdout).toContain('lint ok');
  const test = custos(['workflows', 'test', bundle]);
  expect(test.code, test.stdout).toBe(0);
  expect(test.stdout).toMatch(/\d+ passed, 0 failed/);

  const deploy = custos(['workflows', 'deploy', bundle, '--as', 'person:pat', ...data]);
  expect(deploy.code, deploy.stderr).toBe(0);
  const hash = /filed (sha256:[0-9a-f]{64})/.exec(deploy.stdout)![1]!;
  expect(deploy.stdout).toContain('awaiting approval by person:paula');
  const self = custos(['workflows', 'approve', hash, '--as', 'person:pat', ...data]);
  expect(self.code).toBe(3);
  expect(self.stderr).toContain('error SOD_VIOLATION');
  const ok = custos([
    'workflows',
    'approve',
    hash,
    '--as',
    'person:paula',
    '--rationale',
    'reviewed',
    ...data,
  ]);
  expect(ok.stdout).toContain(`${hash}: active`);
  const versions = JSON.parse(custos(['workflows', 'versions', '--json', ...data]).stdout) as {
    status: string;
  }[];
  expect(versions.map((v) => v.status)).toEqual(['active']);
  expect(custos(['workflows', 'diff', 'active', bundle, ...data]).stdout).toContain('0 of');

  // A decision against the inventory, recorded in the ledger with the bundle hash and policy ids.
  const request = path.join(tempDir(), 'request.yaml');
  fs.writeFileSync(
    request,
    'principal: service:ci-pipeline\naction: create\n' +
      'resource: { new: { name: payments-deploy, kind: token, system: tokens, tags: [service:payments] } }\n' +
      'context: { durationMinutes: 60, justification: deploy payments }\n',
  );
  const decided = custos([
    'workflows',
    'decide',
    '--request',
    request,
    '--record',
    '--as',
    'service:ci-pipeline',
    '--json',
    ...data,
  ]);
  expect(decided.code, decided.stderr).toBe(0);
  expect(JSON.parse(decided.stdout)).toMatchObject({
    allowed: true,
    riskTier: 'low',
    determiningPolicies: ['tokens-ci-create'],
    bundleHash: hash,
  });
  // A new version that makes that request medium risk: diff names the recorded decision it changes.
  const v2 = path.join(tempDir(), 'bundle');
  fs.cpSync(bundle, v2, { recursive: true });
  const policy = path.join(v2, 'policies', 'tokens.cedar');
  const text = fs.readFileSync(policy, 'utf8');
  const edited = text.replace(/(@id\("tokens-ci-create"\)\s*\n\s*@risk\(")low("\))/, '$1medium$2');
  expect(edited).not.toBe(text);
  fs.writeFileSync(policy, edited);
  const diff = custos(['workflows', 'diff', 'active', v2, ...data]);
  expect(diff.stdout).toMatch(/recorded recorded\[0\]\n\s+tier\s+low -> medium/);
  expect(custos(['ledger', 'verify', ...data]).code).toBe(0);
});

it('a broken bundle gets file:line CODE problems, exit 2, and nothing is deployed', () => {
  const data = ['--data-dir', path.join(tempDir(), 'data')];
  expect(custos(['init', ...data]).code).toBe(0);
  const dir = path.join(tempDir(), 'bundle');
  fs.cpSync(path.join(EXAMPLES, 'bundle'), dir, { recursive: true });
  const file = path.join(dir, 'policies', 'tokens.cedar');
  fs.writeFileSync(
    file,
    `${fs.readFileSync(file, 'utf8')}\npermit (principal, action, resource) when { nonsense`,
  );
  const lint = custos(['workflows', 'lint', dir]);
  expect(lint.code).toBe(2);
  expect(lint.stderr).toMatch(/^policies\/tokens\.cedar:\d+ CEDAR_SYNTAX /m);
  const deploy = custos(['workflows', 'deploy', dir, '--as', 'person:pat', ...data]);
  expect(deploy.code).toBe(2);
  expect(JSON.parse(custos(['workflows', 'versions', '--json', ...data]).stdout)).toEqual([]);
});
