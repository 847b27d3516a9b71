import fs from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
import { parseVerifierKey } from '../../src/ledger/note/index.js';
import { custos } from '../support/cli.js';
import { tempDir } from '../support/stores.js';

it('init creates a 0600 log key, prints a C2SP verifier key, and is idempotent', () => {
  const dir = path.join(tempDir(), 'data');
  const first = custos(['init', '--data-dir', dir, '--origin', 'example.org/custos']);
  expect(first.code, first.stderr).toBe(0);
  const vkey = first.stdout.trim();
  expect(parseVerifierKey(vkey).name).toBe('example.org/custos');
  expect(fs.statSync(path.join(dir, 'keys', 'log.key')).mode & 0o777).toBe(0o600);
  expect(fs.statSync(path.join(dir, 'keys', 'fingerprint.key')).mode & 0o777).toBe(0o600);
  expect(fs.readFileSync(path.join(dir, 'keys', 'log.key'), 'utf8')).toMatch(
    /^PRIVATE\+KEY\+example\.org\/custos\+/,
  );
  const again = custos(['init', '--data-dir', dir]);
  expect(again.code).toBe(0);
  expect(again.stdout.trim()).toBe(vkey);
  const status = JSON.parse(custos(['status', '--json', '--data-dir', dir]).stdout) as Record<
    string,
    unknown
  >;
  expect(status).toMatchObject({ origin: 'example.org/custos', records: 1, latestCheckpoint: 1 });
});

it('refuses a log key readable by others', () => {
  const dir = path.join(tempDir(), 'data');
  expect(custos(['init', '--data-dir', dir]).code).toBe(0);
  fs.chmodSync(path.join(dir, 'keys', 'log.key'), 0o644);
  const r = custos(['ledger', 'checkpoint', '--data-dir', dir]);
  expect(r.code).toBe(3);
  expect(r.stderr).toContain('error KEY_FILE_INSECURE');
});

// The quickstart (npm start) has its own end-to-end tests: quickstart.test.ts.

it('bad usage and bad configuration exit 2 with a stable code, and never echo a password', () => {
  expect(custos(['frobnicate']).stderr).toContain('error INPUT_INVALID');
  const r = custos(['status'], { CUSTOS_DATABASE_URL: 'mysql://root:hunter2@localhost/x' });
  expect(r.code).toBe(2);
  expect(r.stderr).toContain('error CONFIG_INVALID');
  expect(r.stderr).not.toContain('hunter2');
  const noStore = custos(['ledger', 'verify', '--data-dir', path.join(tempDir(), 'empty')]);
  expect(noStore.code).toBe(3);
  expect(noStore.stderr).toContain('error NOT_INITIALISED');
  const pg = custos(['status'], { CUSTOS_DATABASE_URL: 'postgres://u:hunter2@127.0.0.1:1/x' });
  expect(pg.code).toBe(3);
  expect(pg.stderr).toContain('error STORE_UNAVAILABLE');
  expect(pg.stderr).not.toContain('hunter2');
});
