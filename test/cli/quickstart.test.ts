/**
 * `npm start` end to end: the real binary's quickstart from a fresh directory must finish green,
 * each scene's outcome asserted from its narration and again from the ledger it left behind (read
 * with the CLI afterwards). Then a rerun in the same directory, and the PostgreSQL store with a
 * configured PostgreSQL target (real roles on a SCRAM server).
 */
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { createDatabase } from '../harness/postgres.js';
import { startPgServer, type PgServer } from '../connectors/postgres/pg-server.js';
import { cli, freshPlace, json, type Place, type Run } from './cli-support.js';

/** PostgreSQL binaries are here exactly when the harness could start its server. */
const postgres = inject('pgUrl') !== null;

interface RunJson {
  id: string;
  state: string;
  requester: string;
  request: { action: string };
  origin: { kind: string } | null;
}

/** Scene `n` of the narration, its wrapped lines joined (one space for any run of white space). */
function scene(out: string, n: number): string {
  const start = out.indexOf(`\n${n}. `);
  const end = out.indexOf(`\n${n + 1}. `, start + 1);
  expect(start, `scene ${n} is missing`).toBeGreaterThan(0);
  return flat(out.slice(start, end < 0 ? undefined : end));
}

function flat(text: string): string {
  return text.replace(/\s+/g, ' ');
}

/** The runs of the scenario, as the local store has them after the quickstart. */
async function runsAfter(place: Place): Promise<RunJson[]> {
  const r = await cli(place, ['runs', 'list', '--json', '--as', 'person:sara']);
  expect(r.code, r.stderr).toBe(0);
  return (json(r) as { items: RunJson[] }).items;
}

function vkeyOf(out: string): string {
  return /Verifier key \(give it to your auditors\):\n {2}(\S+)/.exec(out)![1]!;
}

describe('the quickstart (npm start)', () => {
  let quick: Run;
  let place: Place;

  it('plays every scene from a fresh directory and finishes green', async () => {
    place = freshPlace();
    quick = await cli(place, ['quickstart']);
    expect(quick.code, `${quick.stdout}\n${quick.stderr}`).toBe(0);
    const out = quick.stdout;
    expect(out).toMatch(
      /bundle: +\S+ \S+ sha256:[0-9a-f]{64}: filed by person:pat, approved by its policy owner person:paula, active/,
    );
    expect(out).toMatch(/API: +http:\/\/127\.0\.0\.1:\d+/);

    const one = scene(out, 1);
    expect(one).toContain('policy: allow, risk low, route low (automatic) (policy tokens-ci-create');
    expect(one).toMatch(/downstream: .* valid \(identity payments-deploy, run run_/);
    expect(one).toMatch(/run\.requested → run\.decided_auto → .* → run\.verified/);
    const three = scene(out, 3);
    expect(three).toContain('old token: refused downstream (superseded)');
    expect(three).toMatch(/new token: +hmac-sha256:\S+: valid downstream/);
    const four = scene(out, 4);
    expect(four).toContain('refused: SOD_VIOLATION');
    expect(four).toContain('run.requested → run.decided_approvals → run.abort');
    const seven = scene(out, 7);
    expect(seven).toMatch(/ledger verify: OK \S+: (\d+) records/);
    expect(seven).toMatch(/verify: +offline, .* OK, \d+ records/);
    expect(out).toContain('Try next:');

    const runs = await runsAfter(place);
    const byAction = (a: string) => runs.filter((r) => r.request.action === a);
    expect(byAction('create').map((r) => r.state)).toEqual(
      postgres ? ['completed', 'completed', 'aborted'] : ['completed', 'aborted'],
    );
    expect(byAction('rotate').map((r) => r.state)).toEqual(['completed']);
    const ledger = await cli(place, ['ledger', 'verify', '--json']);
    expect(ledger.code, ledger.stderr).toBe(0);
    const offline = await cli(place, ['verify', '.custos/evidence', '--key', vkeyOf(out)]);
    expect([offline.code, offline.stdout]).toEqual([0, expect.stringMatching(/^OK /)]);

    if (!postgres) {
      expect(out).toContain('4 of 7 scenes played');
      expect(scene(out, 2)).toContain('SKIPPED');
      return;
    }
    expect(out).toContain('7 of 7 scenes played');
    const two = scene(out, 2);
    expect(two).toContain('decision: risk high, policies pg-grant-privileged-prod, pg-grant-prod');
    expect(two.match(/run\.approval_counted/g)).toHaveLength(3); // one DBA for the account, DBA + security for the grant
    const five = scene(out, 5);
    expect(five).toMatch(/paused: +PostgreSQL unavailable .*ECONNREFUSED/);
    expect(five).toMatch(/alert: +run\.paused \(critical\) to .*person:pat.*, record #\d+/);
    expect(five).toContain('run.failed → alert.raised → run.retry_requested → run.resume');
    const six = scene(out, 6);
    expect(six).toContain('clock that started 61 minutes in the past');
    expect(six).toMatch(/revoked: +by run run_\S+ \(requested by Custos itself/);
    expect(six).toContain('break_glass.expired → break_glass.revoked → break_glass.reviewed');

    expect(byAction('grant').map((r) => r.state)).toEqual(['completed']);
    expect(byAction('break_glass').map((r) => r.state)).toEqual(['completed']);
    const revokes = byAction('revoke');
    expect(revokes.map((r) => [r.state, r.requester, r.origin?.kind ?? null])).toEqual([
      ['completed', 'person:eve', null],
      ['completed', 'custos', 'revokes'],
    ]);
    const grants = (
      json(await cli(place, ['break-glass', 'list', '--json', '--as', 'person:sara'])) as {
        items: { state: string; followUpRunId: string; reviewedBy: string }[];
      }
    ).items;
    expect(grants).toEqual([
      expect.objectContaining({ state: 'revoked', followUpRunId: revokes[1]!.id, reviewedBy: 'person:pat' }),
    ]);
    const alerts = json(await cli(place, ['alerts', 'list', '--json', '--as', 'person:pat'])) as {
      items: { kind: string }[];
    };
    expect(alerts.items.map((a) => a.kind)).toEqual(
      expect.arrayContaining(['run.paused', 'break_glass.granted']),
    );
    // The private PostgreSQL is gone with the quickstart.
    expect(out).toContain('removed at the end');
  });

  it('starts over on a rerun, moving the previous store aside, and refuses a store it did not create', async () => {
    const again = await cli(place, ['quickstart', '--no-postgres']);
    expect(again.code, again.stderr).toBe(0);
    expect(flat(again.stdout)).toMatch(
      /previous quickstart's store was moved aside to \S+\.custos\.previous-/,
    );
    expect(again.stdout).toContain('4 of 7 scenes played');
    expect(scene(again.stdout, 5)).toContain('SKIPPED: --no-postgres was given');
    expect(fs.readdirSync(place.cwd).filter((f) => f.startsWith('.custos.previous-'))).toHaveLength(1);
    expect(vkeyOf(again.stdout)).not.toBe(vkeyOf(quick.stdout));

    const other = freshPlace();
    expect((await cli(other, ['init'])).code).toBe(0);
    const refused = await cli(other, ['quickstart']);
    expect([refused.code, refused.stderr]).toEqual([3, expect.stringContaining('error ALREADY_INITIALISED')]);
    expect(fs.readdirSync(other.cwd).filter((f) => f.startsWith('.custos.previous'))).toEqual([]);
  });

  describe.skipIf(!postgres)('on PostgreSQL, with a configured PostgreSQL target', () => {
    let target: PgServer;
    afterAll(async () => {
      await target?.stop();
    });

    it('uses CUSTOS_DATABASE_URL as the store and provisions real roles on CUSTOS_PG_TARGET_URL', async () => {
      target = await startPgServer();
      const store = await createDatabase(inject('pgUrl')!, `qs_${crypto.randomBytes(4).toString('hex')}`);
      const env = {
        CUSTOS_DATABASE_URL: store,
        CUSTOS_PG_TARGET_URL: `postgres://custos_admin:${encodeURIComponent(target.adminPassword)}@127.0.0.1:${target.port}/postgres`,
      };
      const p = freshPlace(env);
      const r = await cli(p, ['quickstart']);
      expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
      expect(r.stdout).toContain('7 of 7 scenes played');
      expect(r.stdout).toMatch(/store: +postgres/);
      expect(r.stdout).toContain('postgres://custos_admin:***@127.0.0.1');
      expect(r.stdout + r.stderr).not.toContain(target.adminPassword);
      const role = /account (payments_migrations_[0-9a-f]{6}) on pg-prod/.exec(r.stdout)![1]!;
      const [row] = await target.superuser<{ write: boolean; read: boolean }>(
        'postgres',
        `SELECT pg_has_role($1, 'pg_write_all_data', 'MEMBER') AS write, pg_has_role($1, 'pg_read_all_data', 'MEMBER') AS read`,
        [role],
      );
      // Granted in scene 2, revoked in scene 5; break-glass read access granted and revoked in scene 6.
      expect(row).toEqual({ write: false, read: false });
      const again = await cli(p, ['quickstart']);
      expect([again.code, again.stderr]).toEqual([
        3,
        expect.stringContaining('already holds a Custos ledger'),
      ]);
      expect(fs.existsSync(path.join(p.cwd, '.custos', 'quickstart.json'))).toBe(true);
      await target.superuser('postgres', `DROP ROLE "${role}"`);
    });
  });
});
