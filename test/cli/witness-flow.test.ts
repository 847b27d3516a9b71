/**
 * End to end with real processes: a witness with its own key and storage serves c2sp.org/tlog-witness;
 * the log asks it to cosign each checkpoint; an export carries the cosignature and verifies offline.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { freePort } from '../harness/free-port.js';
import { CLI, custos } from '../support/cli.js';
import { tempDir } from '../support/stores.js';

let server: ChildProcess | undefined;
afterAll(() => {
  server?.kill('SIGKILL');
});

async function waitFor(url: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not come up`);
}

it('a log gets each checkpoint cosigned by its witness, and the export proves it', async () => {
  const base = tempDir();
  const data = ['--data-dir', path.join(base, 'log')];
  const wdir = ['--dir', path.join(base, 'witness')];
  const logKey = custos(['init', ...data, '--origin', 'test.custos/witnessed']).stdout.trim();
  const witnessKey = custos(['witness', 'init', '--name', 'witness.test/w1', ...wdir]).stdout.trim();
  expect(witnessKey).toMatch(/^witness\.test\/w1\+[0-9a-f]{8}\+/);
  expect(custos(['witness', 'add-log', logKey, ...wdir]).code).toBe(0);

  const port = await freePort();
  server = spawn(process.execPath, [CLI, 'witness', 'serve', ...wdir, '--port', String(port)], {
    stdio: 'ignore',
  });
  await waitFor(`http://127.0.0.1:${port}/healthz`);
  const url = `http://127.0.0.1:${port}`;
  expect(custos(['ledger', 'witness', 'add', witnessKey, '--url', url, ...data]).code).toBe(0);

  for (let round = 0; round < 3; round++) {
    const r = custos(['ledger', 'checkpoint', '--json', ...data]);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { note: string; witnesses: { ok: boolean }[] };
    expect(out.witnesses).toEqual([{ witness: 'witness.test/w1', ok: true }]);
    expect(out.note).toContain('— witness.test/w1 ');
  }
  const exportDir = path.join(base, 'export');
  expect(custos(['ledger', 'export', '--out', exportDir, ...data]).code).toBe(0);
  const ok = custos(['verify', exportDir, '--key', logKey, '--witness', witnessKey]);
  expect(ok.code, ok.stderr).toBe(0);
  expect(ok.stdout).toContain('cosigned by witness.test/w1');
  // Without trusting the witness, its cosignature is an unknown signer: strict auditing refuses it.
  const strict = custos(['verify', exportDir, '--key', logKey]);
  expect(strict.code).toBe(1);
  expect(strict.stderr).toContain('COSIGNATURE_UNKNOWN_WITNESS');
  expect(custos(['ledger', 'verify', ...data]).code).toBe(0);
  const status = custos(['witness', 'status', '--json', ...wdir]);
  expect(status.stdout).toContain('test.custos/witnessed');
}, 60_000);
