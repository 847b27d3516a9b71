/**
 * `custos serve` as a child process and the CLI against it with --server and CUSTOS_TOKEN: the same
 * commands, the caller named by the token, approvals signed on the approver's machine (only the
 * signature crosses the wire), the host loop delivering alerts to a signed webhook, and a clean stop
 * on SIGTERM.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, freshPlace, installation, json, serve, type Place, type Served } from './cli-support.js';

interface Hook {
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

/** A webhook receiver on a free port: the alerts `custos serve` delivers. */
async function receiver(): Promise<{ url: string; hooks: Hook[]; close(): Promise<void> }> {
  const hooks: Hook[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString('utf8')));
    req.on('end', () => {
      hooks.push({ headers: req.headers, body });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/alerts`,
    hooks,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

async function until<T>(
  what: string,
  probe: () => T | undefined | Promise<T | undefined>,
  ms = 30_000,
): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('the CLI against `custos serve` (--server, CUSTOS_TOKEN)', () => {
  let place: Place;
  let server: Served;
  let hook: Awaited<ReturnType<typeof receiver>>;
  const secret = crypto.randomBytes(32).toString('hex');
  const tokens: Record<string, string> = {};
  const remote = (principal: string, args: readonly string[]) =>
    cli(place, [...args, '--server', server.url], { CUSTOS_TOKEN: tokens[principal] ?? '' });

  beforeAll(async () => {
    place = freshPlace();
    await installation(place);
    expect(
      (await cli(place, ['tokens', 'bootstrap', '--for', 'person:alice', '--out', 'alice.token'])).code,
    ).toBe(0);
    tokens['person:alice'] = fs.readFileSync(path.join(place.cwd, 'alice.token'), 'utf8').trim();
    hook = await receiver();
    server = await serve(place, ['--tick-seconds', '1'], {
      CUSTOS_ALERT_WEBHOOK_URL: hook.url,
      CUSTOS_ALERT_WEBHOOK_SECRET: secret,
    });
    for (const p of ['service:ci-pipeline', 'person:eve', 'person:sam']) {
      const r = await remote('person:alice', [
        'tokens',
        'issue',
        '--for',
        p,
        '--out',
        `${p.replace(':', '_')}.token`,
      ]);
      expect(r.code, r.stderr).toBe(0);
      tokens[p] = fs.readFileSync(path.join(place.cwd, `${p.replace(':', '_')}.token`), 'utf8').trim();
    }
  });
  afterAll(async () => {
    await server?.stop();
    await hook?.close();
  });

  it('refuses a missing or unknown token', async () => {
    const none = await cli(place, ['runs', 'list', '--server', server.url]);
    expect([none.code, none.stderr]).toEqual([3, expect.stringContaining('error UNAUTHENTICATED')]);
    const bogus = await cli(place, ['runs', 'list', '--server', server.url], {
      CUSTOS_TOKEN: `cst_${'0'.repeat(16)}_${'A'.repeat(43)}`,
    });
    expect([bogus.code, bogus.stderr]).toEqual([3, expect.stringContaining('error UNAUTHENTICATED')]);
  });

  it('files, approves (signed locally) and executes runs over HTTP', async () => {
    const ci = await remote('service:ci-pipeline', [
      'request',
      '--action',
      'create',
      '--new',
      'payments-deploy',
      '--kind',
      'token',
      '--system',
      'tokens',
      '--tags',
      'service:payments',
      '--duration',
      '60',
      '--justification',
      'deploy',
      '--secret-out',
      '-',
      '--json',
    ]);
    expect(ci.code, ci.stderr).toBe(0);
    const issued = json(ci) as { run: { state: string }; secrets: { value: string }[] };
    expect(issued.run.state).toBe('completed');
    expect(issued.secrets[0]!.value.length).toBeGreaterThan(40);
    // The token went to its requester only: not into the server's logs.
    expect(server.stdout()).toContain('"operation":"fileRequest"');
    expect(server.stderr() + server.stdout()).not.toContain(issued.secrets[0]!.value);

    // sam's key is made on "sam's machine" (this HOME) and only its public half goes to the server.
    const key = await remote('person:sam', ['keys', 'create']);
    expect(key.code, key.stderr).toBe(0);
    expect(fs.statSync(path.join(place.cwd, 'home/.config/custos/keys/person_sam.key')).mode & 0o777).toBe(
      0o600,
    );
    const asked = await remote('person:sam', ['keys', 'register', '--as', 'person:eve']);
    expect(asked.stderr).toContain('CUSTOS_TOKEN belongs to person:sam');

    const filed = await remote('person:eve', [
      'exceptions',
      'request',
      '--identity',
      'payments-deploy',
      '--control',
      'rotation-90d',
      '--compensating-control',
      'weekly review',
      '--duration',
      '60',
      '--justification',
      'freeze',
      '--json',
    ]);
    const run = (json(filed) as { run: { id: string; state: string } }).run;
    expect(run.state).toBe('awaiting_approval');
    const approved = await remote('person:sam', ['approve', run.id, '--rationale', 'compensated', '--json']);
    expect(approved.code, approved.stderr).toBe(0);
    expect((json(approved) as { state: string }).state).toBe('approved');
    const done = await remote('person:eve', ['runs', 'advance', run.id, '--json']);
    expect((json(done) as { run: { state: string } }).run.state).toBe('completed');
    const records = (
      json(await remote('person:eve', ['runs', 'show', run.id, '--json'])) as {
        records: { type: string; payload: { approval?: { signature: string } } }[];
      }
    ).records;
    const counted = records.find((r) => r.type === 'run.approval_counted');
    expect(counted?.payload.approval?.signature).toMatch(/^[A-Za-z0-9+/]{86}==$/);
    const listed = json(await remote('person:eve', ['runs', 'list', '--json'])) as {
      items: { id: string }[];
    };
    expect(listed.items.map((r) => r.id)).toContain(run.id);
    const self = await remote('person:eve', ['approve', run.id]);
    expect(self.code).toBe(3);
  });

  it("the host loop delivers a paused run's alert to the signed webhook", async () => {
    const paused = await remote('service:ci-pipeline', [
      'request',
      '--action',
      'rotate',
      '--identity',
      'payments-api-token',
      '--duration',
      '60',
      '--justification',
      'rotate',
      '--secret-out',
      'p.token',
      '--json',
    ]);
    expect(paused.code).toBe(1);
    const runId = (json(paused) as { run: { id: string } }).run.id;
    const delivered = await until('the webhook', () =>
      hook.hooks.find((h) => (JSON.parse(h.body) as { correlationId?: string }).correlationId === runId),
    );
    const stamp = String(delivered.headers['custos-timestamp']);
    const expected = crypto
      .createHmac('sha256', Buffer.from(secret, 'utf8'))
      .update(`${stamp}.${delivered.body}`)
      .digest('hex');
    expect(delivered.headers['custos-signature']).toBe(`sha256=${expected}`);
    expect(JSON.parse(delivered.body)).toMatchObject({
      kind: 'run.paused',
      subject: { kind: 'run', id: runId },
    });
    // …and records the delivery: the alert is `delivered` with its ledger record.
    await until('the delivered state', async () => {
      const r = await remote('person:alice', ['alerts', 'list', '--run', runId, '--json']);
      const [alert] = (json(r) as { items: { state: string }[] }).items;
      return alert?.state === 'delivered' ? alert : undefined;
    });
  });

  it('inventory, workflows and the ledger over HTTP; the export verifies offline', async () => {
    const ids = json(await remote('person:eve', ['identities', 'list', '--json'])) as {
      items: { id: string }[];
    };
    expect(ids.items.map((i) => i.id)).toEqual(
      expect.arrayContaining(['payments-api-token', 'payments-deploy']),
    );
    expect((await remote('person:eve', ['systems', 'show', 'tokens'])).stdout).toMatch(/^id\s+tokens$/m);
    const versions = json(await remote('person:eve', ['workflows', 'versions', '--json'])) as {
      status: string;
    }[];
    expect(versions.map((v) => v.status)).toEqual(['active']);
    const verified = await remote('person:alice', ['ledger', 'verify', '--json']);
    expect(verified.code, verified.stderr).toBe(0);
    expect(verified.stderr).toBe('');
    expect((await remote('person:eve', ['ledger', 'verify'])).stderr).toContain('error FORBIDDEN');
    expect((await remote('person:alice', ['ledger', 'checkpoint'])).code).toBe(0);
    const proof = await remote('person:eve', ['ledger', 'proof', '--index', '1']);
    expect(proof.stdout).toMatch(/^c2sp\.org\/tlog-proof@v1\nindex 1\n/);
    const exported = await remote('person:alice', ['ledger', 'export', '--out', 'evidence']);
    expect(exported.code, exported.stderr).toBe(0);
    const vkey = fs.readFileSync(path.join(place.cwd, '.custos/keys/log.vkey'), 'utf8').trim();
    const offline = await cli(place, ['verify', 'evidence', '--key', vkey]);
    expect([offline.code, offline.stdout]).toEqual([0, expect.stringMatching(/^OK /)]);
  });

  it('stops cleanly on SIGTERM', async () => {
    expect(await server.stop()).toBe(0);
    expect(server.stderr()).toContain('"msg":"stopping"');
    const after = await cli(place, ['ledger', 'verify']);
    expect(after.code, after.stderr).toBe(0);
  });
});
