/**
 * The request-to-run commands of the real binary against a local store: keys made here (0600) with
 * only the public half registered, requests filed as their principal, approvals signed locally,
 * secrets only where --secret-out says, --json for scripts, and the documented exit codes.
 */
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cli, freshPlace, installation, json, type Place } from './cli-support.js';

interface RunJson {
  id: string;
  state: string;
  requester: string;
  reason: string | null;
  decision: { riskTier?: string } | null;
}
interface Executed {
  run: RunJson;
  secrets: { fingerprint: string; deliveredTo: string; value?: string }[];
}

const as = (p: string) => ['--as', p];
/** Space-separated words as arguments (values with spaces are passed on their own). */
const w = (words: string) => words.split(' ');

const CI_TOKEN = [
  ...w(
    'request --action create --new payments-deploy --kind token --system tokens --tags service:payments --duration 60 --justification',
  ),
  'deploy payments',
];

describe('custos request / approve / deny / runs / keys / tokens on a local store', () => {
  let place: Place;
  beforeAll(async () => {
    place = freshPlace();
    await installation(place);
  });

  it('keys create makes a 0600 key here and registers only its public half; non-approvers are refused', async () => {
    const made = await cli(place, ['keys', 'create', ...as('person:alice')]);
    expect(made.code, made.stderr).toBe(0);
    const dir = path.join(place.cwd, 'home', '.config', 'custos', 'keys');
    const file = path.join(dir, 'person_alice.key');
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(fs.statSync(dir).mode & 0o777).toBe(0o700);
    const privatePem = (JSON.parse(fs.readFileSync(file, 'utf8')) as { privateKeyPem: string }).privateKeyPem;
    expect(made.stdout).toMatch(/^person:alice [A-Za-z0-9_-]{43}\n$/);
    expect(made.stdout + made.stderr).not.toContain(privatePem.split('\n')[1]);
    const again = await cli(place, ['keys', 'create', ...as('person:alice')]);
    expect([again.code, again.stderr]).toEqual([3, expect.stringContaining('error ALREADY_INITIALISED')]);
    const eve = await cli(place, ['keys', 'create', ...as('person:eve')]);
    expect([eve.code, eve.stderr]).toEqual([3, expect.stringContaining('error FORBIDDEN')]);
    expect(fs.existsSync(path.join(dir, 'person_eve.key'))).toBe(false);
    const listed = json(await cli(place, ['keys', 'list', '--json'])) as { principal: string }[];
    expect(listed.map((k) => k.principal)).toEqual(['person:alice']);
    for (const p of ['person:sam', 'person:dan'])
      expect((await cli(place, ['keys', 'create', ...as(p)])).code).toBe(0);
  });

  it('an automatic request executes at once; its secret goes only to the --secret-out file', async () => {
    const refused = await cli(place, [...CI_TOKEN, ...as('service:ci-pipeline')]);
    expect([refused.code, refused.stderr]).toEqual([2, expect.stringContaining('--secret-out')]);
    expect(
      (json(await cli(place, ['runs', 'list', '--json', ...as('person:sara')])) as { items: unknown[] })
        .items,
    ).toEqual([]);

    const r = await cli(place, [
      ...CI_TOKEN,
      ...w('--secret-out deploy.token --json'),
      ...as('service:ci-pipeline'),
    ]);
    expect(r.code, r.stderr).toBe(0);
    const out = json(r) as Executed;
    expect(out.run).toMatchObject({
      state: 'completed',
      requester: 'service:ci-pipeline',
      decision: { riskTier: 'low' },
    });
    const file = path.join(place.cwd, 'deploy.token');
    expect(out.secrets).toHaveLength(1);
    const [secret] = out.secrets;
    expect(secret!.fingerprint).toMatch(/^hmac-sha256:/);
    expect(secret!.deliveredTo).toBe(file);
    expect(secret!.value).toBeUndefined();
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    const token = fs.readFileSync(file, 'utf8').trim();
    expect(token.length).toBeGreaterThan(40);
    expect(r.stdout + r.stderr).not.toContain(token);
    // Never overwritten: a second request that would issue into the same file is refused up front.
    const twice = await cli(place, [
      ...CI_TOKEN,
      ...w('--secret-out deploy.token'),
      ...as('service:ci-pipeline'),
    ]);
    expect(twice.code).toBe(2);
  });

  it('an approval route: the requester cannot approve; an approver signs locally; the requester executes', async () => {
    const filed = await cli(place, [
      ...w(
        'request --action create --new alice-metrics --kind api_key --system tokens --duration 1440 --justification metrics --secret-out x.key --json',
      ),
      ...as('person:alice'),
    ]);
    expect(filed.code, filed.stderr).toBe(0);
    const run = (json(filed) as Executed).run;
    expect(run.state).toBe('awaiting_approval');
    const self = await cli(place, ['approve', run.id, ...as('person:alice')]);
    expect([self.code, self.stderr]).toEqual([3, expect.stringContaining('error SOD_VIOLATION')]);
    const noKey = await cli(place, ['approve', run.id, ...as('person:diana')]);
    expect([noKey.code, noKey.stderr]).toEqual([3, expect.stringContaining('error KEY_MISSING')]);
    const notEligible = await cli(place, ['approve', run.id, ...as('person:sam')]);
    expect(notEligible.stderr).toContain('error APPROVAL_NOT_ELIGIBLE');
    const shown = await cli(place, ['runs', 'show', run.id, ...as('person:sara')]);
    expect(shown.stdout).toMatch(/#\d+\s+\S+\s+run\.requested\s+person:alice/);
    expect(shown.stdout).not.toContain('run.approval_counted');
    // Withdrawn by its requester; a second run is approved by alice for eve.
    expect(
      (await cli(place, ['runs', 'abort', run.id, '--reason', 'withdrawn', ...as('person:alice')])).code,
    ).toBe(0);

    const eve = (
      json(
        await cli(place, [
          ...w(
            'request --action create --new eve-metrics --kind api_key --system tokens --duration 1440 --justification metrics --secret-out eve.key --json',
          ),
          ...as('person:eve'),
        ]),
      ) as Executed
    ).run;
    const approved = await cli(place, [
      'approve',
      eve.id,
      '--rationale',
      'ok',
      '--json',
      ...as('person:alice'),
    ]);
    expect(approved.code, approved.stderr).toBe(0);
    expect((json(approved) as RunJson).state).toBe('approved');
    const notHers = await cli(place, [
      'runs',
      'advance',
      eve.id,
      '--secret-out',
      'a.key',
      ...as('person:alice'),
    ]);
    expect([notHers.code, notHers.stderr]).toEqual([3, expect.stringContaining('error FORBIDDEN')]);
    const done = await cli(place, [
      'runs',
      'advance',
      eve.id,
      '--secret-out',
      'eve.key',
      '--json',
      ...as('person:eve'),
    ]);
    expect((json(done) as Executed).run.state).toBe('completed');
    expect(fs.readFileSync(path.join(place.cwd, 'eve.key'), 'utf8')).toMatch(/^\S{20,}\n$/);
    const records = (
      json(await cli(place, ['runs', 'show', eve.id, '--json', ...as('person:sara')])) as {
        records: { type: string; actor: { id: string } }[];
      }
    ).records;
    expect(records.find((r) => r.type === 'run.approval_counted')?.actor.id).toBe('person:alice');
  });

  it('a denial needs a rationale and rejects the run; a denied request exits 1', async () => {
    const run = (
      json(
        await cli(place, [
          ...w(
            'request --action create --new eve-other --kind api_key --system tokens --duration 60 --justification x --secret-out o.key --json',
          ),
          ...as('person:eve'),
        ]),
      ) as Executed
    ).run;
    expect((await cli(place, ['deny', run.id, ...as('person:alice')])).code).toBe(2);
    const denied = await cli(place, [
      'deny',
      run.id,
      '--rationale',
      'use the shared exporter',
      '--json',
      ...as('person:alice'),
    ]);
    expect((json(denied) as RunJson).state).toBe('rejected');
    // Policy denies: the CI pipeline may not mint tokens for the ledger service (a request file this time).
    fs.writeFileSync(
      path.join(place.cwd, 'ledger-deploy.yaml'),
      'action: create\nresource:\n  new: { name: ledger-deploy, kind: token, system: tokens, tags: [service:ledger] }\n' +
        'context: { durationMinutes: 60 }\n',
    );
    const policyDenied = await cli(place, [
      ...w('request --file ledger-deploy.yaml --justification x --secret-out l.token'),
      ...as('service:ci-pipeline'),
    ]);
    expect(policyDenied.code).toBe(1);
    expect(policyDenied.stdout).toMatch(/state\s+denied/);
    expect(fs.existsSync(path.join(place.cwd, 'l.token'))).toBe(false);
  });

  it('a failing target pauses the run with an alert; an owner aborts it; roles are enforced', async () => {
    // The inventory lists payments-api-token, but the token issuer never issued it: honest drift.
    const paused = await cli(place, [
      ...w(
        'request --action rotate --identity payments-api-token --duration 60 --justification rotate --secret-out p.token --json',
      ),
      ...as('service:ci-pipeline'),
    ]);
    expect(paused.code).toBe(1);
    const run = (json(paused) as Executed).run;
    expect(run.state).toBe('paused');
    expect(run.reason).toContain('does not exist');
    expect(paused.stderr).toContain(`custos runs resume ${run.id}`);
    const alerts = (
      json(await cli(place, ['alerts', 'list', '--run', run.id, '--json', ...as('person:pat')])) as {
        items: { kind: string; notify: string[] }[];
      }
    ).items;
    expect(alerts.map((a) => a.kind)).toEqual(['run.paused']);
    expect(alerts[0]!.notify).toContain('person:pat');
    const table = await cli(place, ['alerts', 'list', ...as('person:pat')]);
    expect(table.stdout).toMatch(/^ID\s+KIND\s+SEVERITY\s+STATE/);
    const forbidden = await cli(place, ['runs', 'abort', run.id, '--reason', 'x', ...as('person:sara')]);
    expect([forbidden.code, forbidden.stderr]).toEqual([3, expect.stringContaining('error FORBIDDEN')]);
    const aborted = await cli(place, [
      'runs',
      'abort',
      run.id,
      '--reason',
      'not on the issuer',
      ...as('person:pat'),
    ]);
    expect(aborted.code).toBe(0);
    expect(aborted.stdout).toMatch(/state\s+aborted/);
    const auditorFiles = await cli(place, [...CI_TOKEN, '--secret-out', 'z', ...as('person:sara')]);
    expect([auditorFiles.code, auditorFiles.stderr]).toEqual([3, expect.stringContaining('error FORBIDDEN')]);
    expect((await cli(place, ['runs', 'show', 'run_nope', ...as('person:sara')])).code).toBe(2);
    expect((await cli(place, ['runs', 'list'])).stderr).toContain('--as PRINCIPAL or CUSTOS_ACTOR');
  });

  it('an exception is requested, approved by security, granted; break-glass the target cannot grant is refused', async () => {
    const filed = await cli(place, [
      ...w('exceptions request --identity payments-deploy --control rotation-90d --compensating-control'),
      'weekly access review',
      ...w('--duration 1440 --justification'),
      'vendor freeze',
      ...w('--json'),
      ...as('person:eve'),
    ]);
    expect(filed.code, filed.stderr).toBe(0);
    const run = (json(filed) as Executed).run;
    expect(run.state).toBe('awaiting_approval');
    expect(
      (await cli(place, ['approve', run.id, '--rationale', 'compensated', ...as('person:sam')])).code,
    ).toBe(0);
    expect(
      (json(await cli(place, ['runs', 'advance', run.id, '--json', ...as('person:eve')])) as Executed).run
        .state,
    ).toBe('completed');
    const grants = (
      json(await cli(place, ['exceptions', 'list', '--json', ...as('person:sara')])) as {
        items: { kind: string; state: string; identityId: string }[];
      }
    ).items;
    expect(grants).toEqual([
      expect.objectContaining({ kind: 'exception', state: 'active', identityId: 'payments-deploy' }),
    ]);
    expect(
      (
        json(await cli(place, ['break-glass', 'list', '--json', ...as('person:sara')])) as {
          items: unknown[];
        }
      ).items,
    ).toEqual([]);
    const bg = await cli(place, [
      ...w(
        'break-glass request --identity payments-deploy --entitlements x --duration 30 --justification incident',
      ),
      ...as('person:alice'),
    ]);
    // The token issuer grants no entitlements: refused before filing (exit 2, bad input), nothing written.
    expect(bg.code).toBe(2);
    expect(bg.stderr).toMatch(
      /^error INPUT_INVALID: tokens \(tokens\) cannot grant payments-deploy as asked/,
    );
    expect(
      (
        json(await cli(place, ['break-glass', 'list', '--json', ...as('person:sara')])) as {
          items: unknown[];
        }
      ).items,
    ).toEqual([]);
  });

  it('API tokens: bootstrap is local only, issue/list/revoke need an admin, a token is shown once', async () => {
    const boot = await cli(place, ['tokens', 'bootstrap', '--for', 'person:alice', '--out', 'alice.token']);
    expect(boot.code, boot.stderr).toBe(0);
    const token = fs.readFileSync(path.join(place.cwd, 'alice.token'), 'utf8').trim();
    expect(token).toMatch(/^cst_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
    expect(boot.stdout + boot.stderr).not.toContain(token);
    expect((await cli(place, ['tokens', 'bootstrap', '--for', 'person:eve'])).stderr).toContain(
      'error FORBIDDEN',
    );
    const issued = json(
      await cli(place, [
        ...w('tokens issue --for person:eve --scopes requester --json'),
        ...as('person:alice'),
      ]),
    ) as { id: string; token: string; scopes: string[] };
    expect(issued.scopes).toEqual(['requester']);
    const listed = json(await cli(place, ['tokens', 'list', '--json', ...as('person:alice')])) as {
      items: { id: string }[];
    };
    expect(listed.items.map((t) => t.id)).toContain(issued.id);
    expect(JSON.stringify(listed)).not.toContain(issued.token);
    expect(
      (await cli(place, ['tokens', 'issue', '--for', 'person:eve', ...as('person:eve')])).stderr,
    ).toContain('error FORBIDDEN');
    expect((await cli(place, ['tokens', 'revoke', issued.id, ...as('person:alice')])).stdout).toContain(
      `revoked ${issued.id}`,
    );
  });

  it('help names every command family and the exit codes', async () => {
    const help = await cli(place, ['help']);
    for (const word of [
      ...w('serve'),
      'keys create',
      ...w(
        'request approve deny runs identities systems principals workflows exceptions break-glass alerts ledger verify',
      ),
      'exit codes',
    ])
      expect(help.stdout).toContain(word);
    expect((await cli(place, ['toString'])).code).toBe(2);
  });
});
