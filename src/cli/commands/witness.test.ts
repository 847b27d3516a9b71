import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeBase64 } from '../../core/bytes.js';
import { parseNote, parseVerifierKey, verifyCosignature } from '../../ledger/note/index.js';
import { requestCosignature } from '../../witness/index.js';
import { TestLog } from '../../witness/test-support.js';
import { EXIT } from '../io.js';
import type { CliIo } from '../io.js';
import { witnessCommand } from './witness.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

function fixture() {
  const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'custos-witness-cli-'));
  dirs.push(cwd);
  const io = { out: '', err: '' };
  const cli: CliIo = {
    env: {},
    cwd,
    isTty: false,
    out: (text) => (io.out += text),
    err: (text) => (io.err += text),
  };
  const run = async (...argv: string[]) => {
    io.out = '';
    io.err = '';
    const code = await witnessCommand(argv, cli);
    return { code, out: io.out, err: io.err };
  };
  const file = (name: string, text: string): string => {
    fs.writeFileSync(path.join(cwd, name), text);
    return name;
  };
  return { cwd, cli, io, run, file };
}

describe('custos witness', () => {
  it('inits, adds a log, cosigns offline and reports its status', async () => {
    const { cwd, run, file } = fixture();
    const init = await run('init', '--name', 'witness.example/w1');
    expect(init.code).toBe(EXIT.ok);
    const vkey = parseVerifierKey(init.out.trim());
    expect(vkey.type).toBe('cosignature/v1');
    expect(fs.statSync(path.join(cwd, '.custos-witness', 'witness.key')).mode & 0o777).toBe(0o600);
    expect((await run('init', '--name', 'witness.example/w1')).err).toMatch(/^error ALREADY_INITIALISED/);

    const log = new TestLog('log.example/cli').append(3);
    expect(await run('add-log', file('log.vkey', `${log.verifierKey}\n`))).toMatchObject({ code: 0 });
    const first = await run('cosign', '--checkpoint', file('cp1', log.checkpoint()), '--old-size', '0');
    expect(first.code).toBe(EXIT.ok);
    verifyCosignature(parseNote(log.checkpoint()).text, first.out, vkey);

    log.append(6);
    const proof = file(
      'proof',
      log
        .proof(3)
        .map((h) => `${encodeBase64(h)}\n`)
        .join(''),
    );
    const cp2 = file('cp2', log.checkpoint());
    const stale = await run('cosign', '--checkpoint', cp2, '--old-size', '0', '--proof', proof);
    expect([stale.code, stale.err]).toEqual([
      EXIT.verifyFailed,
      expect.stringMatching(/^error WITNESS_CONFLICT/),
    ]);
    expect((await run('cosign', '--checkpoint', cp2, '--old-size', 'x')).code).toBe(EXIT.usage);
    expect((await run('cosign', '--checkpoint', cp2, '--old-size', '3', '--proof', proof)).code).toBe(
      EXIT.ok,
    );

    const status = await run('status', '--json');
    expect(JSON.parse(status.out)).toMatchObject({
      verifierKey: vkey.verifierKey,
      logs: [{ origin: 'log.example/cli', size: 9, rootHash: encodeBase64(log.root()) }],
    });
    expect((await run('status')).out).toContain('log.example/cli  size 9');
  });

  it('serves add-checkpoint until stopped', async () => {
    const { cli, io, run } = fixture();
    await run('init', '--name', 'witness.example/w2');
    const log = new TestLog('log.example/served').append(2);
    await run('add-log', log.verifierKey);
    io.out = '';
    const stop = new AbortController();
    const serving = witnessCommand(['serve', '--port', '0'], cli, { signal: stop.signal });
    while (!io.out.includes('listening on')) await new Promise((r) => setTimeout(r, 10));
    const url = /listening on (\S+)/.exec(io.out)![1]!;
    const result = await requestCosignature(url, { oldSize: 0, proof: [], checkpoint: log.checkpoint() });
    expect(result.kind).toBe('cosigned');
    stop.abort();
    expect(await serving).toBe(EXIT.ok);
  });

  it('rejects bad usage and an uninitialised directory', async () => {
    const { run } = fixture();
    expect((await run()).code).toBe(EXIT.usage);
    expect((await run('frobnicate')).code).toBe(EXIT.usage);
    expect((await run('init')).code).toBe(EXIT.usage);
    expect((await run('init', '--name', 'has space')).code).toBe(EXIT.usage);
    const status = await run('status');
    expect([status.code, status.err]).toEqual([EXIT.error, expect.stringMatching(/^error NOT_INITIALISED/)]);
    await run('init', '--name', 'w');
    expect((await run('add-log', 'not-a-key')).code).toBe(EXIT.usage);
  });
});
