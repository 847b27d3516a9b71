/**
 * Crash safety of runs: a child process advances an approved token request (or rolls it back) and
 * SIGKILLs itself at one crash point; then a restarted engine (in this process, with nothing but
 * the stores and the keys) calls recover(). At every crash point, on both stores (SQLite: rotate,
 * revoke and create; PostgreSQL: rotate):
 *
 * - the run reaches its right end: completed; or, where the credential the run issued was in the
 *   dead process's memory only, paused with the undelivered-credential reason (and a person can
 *   roll it back, which withdraws that credential and restores the state read before the effect);
 *   or rolled back, for a rollback that was interrupted;
 * - the target holds exactly one effect of the run (one journalled operation, at most one issued
 *   credential), and the ledger holds exactly one `run.step_applied` and still verifies;
 * - a step whose outcome was unknown was settled against the target (`recovered`), as
 *   `already_applied` when the effect had taken place and `applied` when it had not.
 */
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, inject, it, type ExpectStatic } from 'vitest';
import { verifyLive } from '../../src/ledger/ledger-verify.js';
import { CRASH_POINTS, type CrashPoint } from '../../src/runs/execute-context.js';
import { createDatabase, dropDatabase } from '../harness/postgres.js';
import { WorkerProcess } from '../durability/support.js';
import { tempDir } from '../support/stores.js';
import {
  createWorld,
  fileApproved,
  openWorld,
  seededCredential,
  targetEffects,
  type CrashChildConfig,
  type CrashWorld,
  type Flow,
  type OpenWorld,
  type StoreSettings,
} from './crash-support.js';

const pgUrl = inject('pgUrl');
const CHILD = path.join(import.meta.dirname, 'crash-child.ts');
const ROLLBACK_POINTS: readonly CrashPoint[] = ['restore:before', 'restore:after', 'rolled_back:after'];
// A run of one step records its step_applied with `applied`: step_applied:after is not reached.
const EXECUTION_POINTS = CRASH_POINTS.filter(
  (p) => !ROLLBACK_POINTS.includes(p) && p !== 'step_applied:after',
);
/** Points after the effect on the target and before its record. */
const UNRECORDED: readonly CrashPoint[] = ['apply:after', 'verify:after'];

interface Case {
  readonly flow: Flow;
  readonly crashAt: CrashPoint;
  readonly rollback: boolean;
}

/**
 * Every crash point for rotate (issues a credential, supersedes another) and revoke (issues none),
 * and for rolling a rotation back; create shares rotate's path, so it is killed at the points
 * where the outcome differs: before the effect, after it (unrecorded), and after completion.
 */
function cases(flows: readonly Flow[]): Case[] {
  const points: Record<Flow, readonly CrashPoint[]> = {
    create: ['step_started:after', 'apply:after', 'verified:after'],
    rotate: EXECUTION_POINTS,
    revoke: EXECUTION_POINTS,
  };
  return [
    ...flows.flatMap((flow) => points[flow].map((crashAt) => ({ flow, crashAt, rollback: false }))),
    ...ROLLBACK_POINTS.map((crashAt) => ({ flow: 'rotate' as const, crashAt, rollback: true })),
  ];
}

/** Where the run must end once recovered. */
function expectedState(c: Case): string {
  if (c.rollback) return 'rolled_back';
  // A secret lives only in the memory of the call that applied it: killed before returning, it is lost.
  return c.flow === 'revoke' || c.crashAt === 'verified:after' ? 'completed' : 'paused';
}

/**
 * A store kind for this test. Making a world (ledger, inventory, bundle deployment) and deciding a
 * request (Cedar) is the slow part, so it is done once per flow: every case clones that template
 * (a directory copy, or CREATE DATABASE … TEMPLATE) and its child only executes the approved run.
 */
interface Kind {
  readonly name: 'sqlite' | 'postgres';
  readonly flows: readonly Flow[];
  /** A copy of `world`'s stores, named by `tag`. */
  clone(world: CrashWorld, tag: string): Promise<CrashWorld>;
  /** A new, empty world. */
  create(): Promise<CrashWorld>;
}

interface Template {
  readonly world: CrashWorld;
  readonly runId: string;
}

const dirs: string[] = [];
const databases: string[] = [];

const sqlite: Kind = {
  name: 'sqlite',
  flows: ['create', 'rotate', 'revoke'],
  clone(world) {
    const copy = (from: string) => {
      const to = tempDir('custos-crash-');
      dirs.push(to);
      fs.cpSync(from, to, { recursive: true });
      return { dataDir: to };
    };
    return Promise.resolve({
      ...world,
      custos: copy(world.custos.dataDir),
      target: copy(world.target.dataDir),
    });
  },
  create() {
    const dir = tempDir('custos-crash-');
    dirs.push(dir);
    return createWorld({ dataDir: path.join(dir, 'custos') }, { dataDir: path.join(dir, 'target') });
  },
};

const postgres: Kind = {
  name: 'postgres',
  flows: ['rotate'],
  async clone(world, tag) {
    const copy = async (from: StoreSettings, role: string) => ({
      dataDir: from.dataDir,
      databaseUrl: await cloneDatabase(new URL(from.databaseUrl!).pathname.slice(1), `${role}_${tag}`),
    });
    return { ...world, custos: await copy(world.custos, 'c'), target: await copy(world.target, 't') };
  },
  async create() {
    const dataDir = tempDir('custos-crash-');
    dirs.push(dataDir);
    const db = async (role: string) => ({
      dataDir,
      databaseUrl: await createDatabase(pgUrl!, remember(`crash_${process.pid}_${role}`)),
    });
    return createWorld(await db('c'), await db('t'));
  },
};

function remember(database: string): string {
  databases.push(database);
  return database;
}

/** A copy of a database, which must have no open connections. */
async function cloneDatabase(template: string, tag: string): Promise<string> {
  const name = remember(`crash_${process.pid}_${tag}`.replace(/[^a-z0-9_]/g, '_'));
  const admin = new pg.Client({ connectionString: withDatabase(pgUrl!, 'postgres') });
  await admin.connect();
  try {
    await admin.query(
      `CREATE DATABASE ${admin.escapeIdentifier(name)} TEMPLATE ${admin.escapeIdentifier(template)}`,
    );
  } finally {
    await admin.end();
  }
  return withDatabase(pgUrl!, name);
}

function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

/** One world per flow, holding one approved request of that flow. */
async function templates(kind: Kind): Promise<Map<Flow, Template>> {
  const base = await kind.create();
  const made = new Map<Flow, Template>();
  for (const flow of kind.flows) {
    const world = await kind.clone(base, `template_${flow}`);
    const w = await openWorld(world);
    try {
      made.set(flow, { world, runId: await fileApproved(w, flow) });
    } finally {
      await w.close();
    }
  }
  return made;
}

afterAll(async () => {
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
  if (pgUrl !== null) for (const name of databases) await dropDatabase(pgUrl, name);
});

const kinds = pgUrl === null ? [sqlite] : [sqlite, postgres];

for (const kind of kinds) {
  describe.concurrent(`a run killed at any point continues on restart (${kind.name})`, () => {
    let made: Map<Flow, Template>;
    beforeAll(async () => {
      made = await templates(kind);
    });

    for (const c of cases(kind.flows)) {
      const title = `${c.rollback ? 'rolling back a rotation' : c.flow}, killed at ${c.crashAt}`;
      it(title, async ({ expect }) => {
        const template = made.get(c.flow)!;
        const tag = `${c.flow}_${c.rollback ? 'rb_' : ''}${c.crashAt}`;
        const world = await kind.clone(template.world, tag);
        const runId = template.runId;
        await crashChild(expect, { world, runId, crashAt: c.crashAt, rollback: c.rollback });
        const w = await openWorld(world);
        try {
          const recovered = await w.engine.recover();
          const run = await w.engine.get(runId);
          expect(run.state, run.reason ?? '').toBe(expectedState(c));
          // A run left in motion is continued, and says so; a finished one is left alone.
          const finished = c.crashAt === 'verified:after' || c.crashAt === 'rolled_back:after';
          expect(recovered.map((r) => r.id)).toEqual(finished ? [] : [runId]);
          await checkRecords(expect, w, c, runId, finished);
          await checkTarget(expect, w, c, runId);
          if (run.state === 'paused') await rollBackUndelivered(expect, w, c, runId);
          await verifyLive(w.ledger);
        } finally {
          await w.close();
        }
      });
    }
  });
}

/** Runs the child until it kills itself at its crash point. */
async function crashChild(expect: ExpectStatic, config: CrashChildConfig): Promise<void> {
  const child = new WorkerProcess(`crash at ${config.crashAt}`, CHILD, config);
  await child.closed;
  expect(child.exit?.signal, child.describe()).toBe('SIGKILL');
}

async function checkRecords(expect: ExpectStatic, w: OpenWorld, c: Case, runId: string, finished: boolean) {
  const records = await runRecords(w, runId);
  const types = records.map((r) => r.type);
  expect(types.filter((t) => t === 'run.step_applied')).toHaveLength(1);
  expect(types.filter((t) => t === 'run.step_started')).toHaveLength(1);
  expect(types.includes('run.recovered')).toBe(!finished);
  const applied = records.find((r) => r.type === 'run.step_applied')!;
  // The step journalled as started but not as applied: settled against the target, not re-read.
  if (c.crashAt === 'step_started:after')
    expect(applied.payload).toMatchObject({ outcome: 'applied', recovered: true });
  // Applied but not recorded: the effect's `step_applied` commits with the verdict of verification.
  else if (UNRECORDED.includes(c.crashAt))
    expect(applied.payload).toMatchObject({ outcome: 'already_applied', recovered: true });
  else expect(applied.payload).toMatchObject({ outcome: 'applied' });
  if (!c.rollback && c.crashAt !== 'step_started:after' && !UNRECORDED.includes(c.crashAt))
    expect(applied.payload['recovered']).toBeUndefined();
  if (expectedState(c) === 'paused') {
    const failed = records.filter((r) => r.type === 'run.failed').at(-1)!;
    expect(failed.payload).toMatchObject({ undelivered: 's1', retryable: false });
    expect(failed.payload['reason']).toMatch(
      /credential issued by step s1 was never delivered.*roll back or abort/,
    );
  }
}

/** Exactly one effect on the target: one journalled operation, and one credential where one is issued. */
async function checkTarget(expect: ExpectStatic, w: OpenWorld, c: Case, runId: string) {
  const { operations, issued } = await targetEffects(w.target, runId);
  expect(operations).toHaveLength(1);
  expect(issued).toHaveLength(c.flow === 'revoke' ? 0 : 1);
  const seeded = await seededCredential(w.target);
  if (c.rollback) {
    expect(operations[0]!.rolled_back_at).not.toBeNull();
    expect(issued[0]!.revoked_at).not.toBeNull();
    expect(seeded).toMatchObject({ revoked_at: null, superseded_by: null });
  } else if (c.flow === 'rotate') expect(seeded.superseded_by).toBe(issued[0]!.credential_id);
  else if (c.flow === 'revoke') expect(seeded.revoked_at).not.toBeNull();
}

/**
 * What a person does with a run paused on an undelivered credential: rolls it back. The credential
 * no one holds is withdrawn, and the state from before the effect (read before it, never after)
 * comes back: a rotated-away credential is in force again; a created identity is gone.
 */
async function rollBackUndelivered(expect: ExpectStatic, w: OpenWorld, c: Case, runId: string) {
  const resumed = await w.engine.resume(runId, 'person:pat');
  expect([resumed.run.state, resumed.secrets.length]).toEqual(['paused', 0]);
  expect(resumed.run.reason).toMatch(/never delivered/);
  expect((await w.engine.rollback(runId, 'person:pat')).state).toBe('rolled_back');
  const { issued } = await targetEffects(w.target, runId);
  expect(issued).toHaveLength(1);
  expect(issued[0]!.revoked_at).not.toBeNull();
  if (c.flow === 'rotate')
    expect(await seededCredential(w.target)).toMatchObject({ revoked_at: null, superseded_by: null });
  const [identity] = await w.target.read.query<{ n: number | string }>(
    'SELECT COUNT(*) AS n FROM token_identities WHERE identity_id = ?',
    [issued[0]!.identity_id],
  );
  expect(Number(identity!.n)).toBe(c.flow === 'create' ? 0 : 1);
}

interface LedgerEntry {
  readonly type: string;
  readonly payload: Record<string, unknown>;
}

async function runRecords(w: OpenWorld, runId: string): Promise<LedgerEntry[]> {
  const rows = await w.store.read.query<{ data: Uint8Array }>('SELECT data FROM ledger_records ORDER BY idx');
  return rows
    .map((r) => JSON.parse(Buffer.from(r.data).toString('utf8')) as LedgerEntry & { correlationId: string })
    .filter((r) => r.correlationId === runId);
}
