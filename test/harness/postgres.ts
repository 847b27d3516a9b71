// A private, throwaway PostgreSQL 15 for tests: its own data directory under os.tmpdir(), a free
// loopback port, trust authentication, and fsync left ON (the ledger's durability is under test,
// so no durability-weakening settings here). Facts in ../../../shared/TARGETS.md: PostgreSQL
// refuses to run as root, so as root the server binaries run through `runuser -u postgres`.
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { chown, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { freePort } from './free-port.js';

const execFileP = promisify(execFile);

/** Where the PostgreSQL 15 server binaries live (Debian layout); CUSTOS_PG_BIN overrides. */
export const PG_BIN: string = process.env.CUSTOS_PG_BIN ?? '/usr/lib/postgresql/15/bin';

const SERVER_USER = 'postgres';
const START_ATTEMPTS = 3;

export interface PgHandle {
  /** `postgres://postgres@127.0.0.1:PORT/custos` */
  readonly url: string;
  readonly port: number;
  /** The temporary directory holding data/, sock/ and postgres.log; removed by stop(). */
  readonly dir: string;
  /** Wall-clock milliseconds from the start of startPostgres() to a ready `custos` database. */
  readonly startMs: number;
  /** `pg_ctl stop -m fast`, then remove the directory. Idempotent. */
  stop(): Promise<void>;
}

/** True when initdb, pg_ctl and postgres are present under PG_BIN. */
export function pgBinariesPresent(): boolean {
  return ['initdb', 'pg_ctl', 'postgres'].every((b) => existsSync(join(PG_BIN, b)));
}

/** Print a banner that is hard to miss in test output. */
export function warnLoudly(message: string): void {
  const bar = '!'.repeat(100);
  console.warn(`\n${bar}\n${message}\n${bar}\n`);
}

function isRoot(): boolean {
  return process.getuid?.() === 0;
}

/** The command line that runs a server binary as a user PostgreSQL accepts. */
function serverCommand(bin: string, args: readonly string[]): [string, string[]] {
  const path = join(PG_BIN, bin);
  return isRoot() ? ['runuser', ['-u', SERVER_USER, '--', path, ...args]] : [path, [...args]];
}

async function runServerBinary(bin: string, args: readonly string[], cwd: string): Promise<void> {
  const [cmd, argv] = serverCommand(bin, args);
  try {
    await execFileP(cmd, argv, { cwd, timeout: 120_000 });
  } catch (err) {
    const e = err as { stderr?: unknown; stdout?: unknown; message?: unknown };
    const detail = [e.stderr, e.stdout].filter((s) => typeof s === 'string' && s.trim() !== '').join('\n');
    throw new Error(`${cmd} ${argv.join(' ')} failed: ${String(e.message)}\n${detail}`.trimEnd(), {
      cause: err,
    });
  }
}

async function serverUserIds(): Promise<{ uid: number; gid: number }> {
  const uid = Number((await execFileP('id', ['-u', SERVER_USER])).stdout.trim());
  const gid = Number((await execFileP('id', ['-g', SERVER_USER])).stdout.trim());
  if (!Number.isInteger(uid) || !Number.isInteger(gid)) {
    throw new Error(`cannot resolve the uid/gid of user '${SERVER_USER}'`);
  }
  return { uid, gid };
}

async function logTail(logFile: string, lines = 30): Promise<string> {
  try {
    return (await readFile(logFile, 'utf8')).trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no server log)';
  }
}

// ---- best-effort cleanup when the process exits without calling stop() ----

const live = new Map<string, string>(); // temp dir -> data dir
let exitHookInstalled = false;

function cleanupAllSync(): void {
  for (const [dir, dataDir] of live) {
    if (existsSync(join(dataDir, 'postmaster.pid'))) {
      const [cmd, argv] = serverCommand('pg_ctl', ['-D', dataDir, '-m', 'immediate', '-w', 'stop']);
      spawnSync(cmd, argv, { cwd: dir, stdio: 'ignore', timeout: 30_000 });
    }
    rmSync(dir, { recursive: true, force: true });
  }
  live.clear();
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', cleanupAllSync);
  // Fatal signals skip 'exit'. Only take them over where nobody else handles them, and re-raise
  // afterwards so the process still dies of the signal.
  for (const signal of ['SIGTERM', 'SIGHUP'] as const) {
    if (process.listenerCount(signal) > 0) continue;
    const onSignal = (): void => {
      cleanupAllSync();
      process.removeListener(signal, onSignal);
      process.kill(process.pid, signal);
    };
    process.on(signal, onSignal);
  }
}

// ---- start / stop ----

async function pgCtlStop(dir: string, dataDir: string, mode: 'fast' | 'immediate'): Promise<void> {
  if (!existsSync(join(dataDir, 'postmaster.pid'))) return;
  await runServerBinary('pg_ctl', ['-D', dataDir, '-m', mode, '-w', '-t', '60', 'stop'], dir);
}

/**
 * Start a private PostgreSQL 15 and create the database `custos` on it. Throws if the binaries
 * are missing or the server cannot start (the log tail is in the message).
 */
export async function startPostgres(): Promise<PgHandle> {
  const t0 = performance.now();
  if (!pgBinariesPresent()) {
    throw new Error(
      `PostgreSQL 15 server binaries not found in ${PG_BIN} (need initdb, pg_ctl, postgres). ` +
        'On Debian 12: apt-get install postgresql-15 (or set CUSTOS_PG_BIN).',
    );
  }
  const dir = await mkdtemp(join(tmpdir(), 'custos-pg-'));
  const dataDir = join(dir, 'data');
  const sockDir = join(dir, 'sock');
  const logFile = join(dir, 'postgres.log');
  installExitHook();
  live.set(dir, dataDir);
  try {
    await mkdir(sockDir);
    if (isRoot()) {
      const { uid, gid } = await serverUserIds();
      await chown(dir, uid, gid);
      await chown(sockDir, uid, gid);
    }
    // initdb keeps its own fsync of the new cluster too (costs ~0.1 s here).
    await runServerBinary(
      'initdb',
      ['-D', dataDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-locale'],
      dir,
    );

    let port = 0;
    for (let attempt = 1; ; attempt++) {
      port = await freePort();
      // pg_ctl hands -o to a shell: quote the socket path.
      const opts = [
        `-p ${port}`,
        `-k '${sockDir.replaceAll("'", `'\\''`)}'`,
        '-c listen_addresses=127.0.0.1',
        '-c max_connections=200',
        '-c fsync=on',
      ].join(' ');
      try {
        await runServerBinary(
          'pg_ctl',
          ['-D', dataDir, '-l', logFile, '-w', '-t', '60', '-o', opts, 'start'],
          dir,
        );
        break;
      } catch (err) {
        const tail = await logTail(logFile);
        await pgCtlStop(dir, dataDir, 'immediate').catch(() => undefined);
        const portTaken = /could not bind|address already in use/i.test(tail);
        if (portTaken && attempt < START_ATTEMPTS) continue;
        throw new Error(`PostgreSQL did not start on 127.0.0.1:${port}:\n${tail}`, { cause: err });
      }
    }

    const baseUrl = `postgres://postgres@127.0.0.1:${port}`;
    await withAdminClient(baseUrl, async (client) => {
      await client.query('CREATE DATABASE custos');
    });

    let stopping: Promise<void> | undefined;
    return {
      url: `${baseUrl}/custos`,
      port,
      dir,
      startMs: Math.round(performance.now() - t0),
      stop(): Promise<void> {
        stopping ??= (async () => {
          try {
            await pgCtlStop(dir, dataDir, 'fast');
          } finally {
            live.delete(dir);
            await rm(dir, { recursive: true, force: true });
          }
        })();
        return stopping;
      },
    };
  } catch (err) {
    await pgCtlStop(dir, dataDir, 'immediate').catch(() => undefined);
    live.delete(dir);
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}

/**
 * startPostgres(), except that missing binaries outside CI give `undefined` and a loud warning
 * (so tests can skip). With CI=true missing binaries are an error: CI must not skip silently.
 */
export async function startPostgresOrSkip(): Promise<PgHandle | undefined> {
  if (!pgBinariesPresent()) {
    const message = `PostgreSQL 15 server binaries not found in ${PG_BIN}.`;
    if (process.env.CI === 'true') {
      throw new Error(`${message} CI=true: PostgreSQL tests must run. Install postgresql-15.`);
    }
    warnLoudly(`${message}\nPostgreSQL-backed tests will be SKIPPED. Install postgresql-15 to run them.`);
    return undefined;
  }
  return startPostgres();
}

function databaseUrl(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${encodeURIComponent(name)}`;
  return u.toString();
}

/** Run fn on a short-lived client connected to the maintenance database of url's server. */
async function withAdminClient<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: databaseUrl(url, 'postgres') });
  client.on('error', () => undefined); // a terminated idle client must not crash the process
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/**
 * Create a fresh database `name` on the server `url` points at (any database on it) and return
 * a url for the new database. Use a distinct name per test file to isolate files run in parallel.
 */
export async function createDatabase(url: string, name: string): Promise<string> {
  await withAdminClient(url, async (client) => {
    await client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`);
  });
  return databaseUrl(url, name);
}

/** Drop database `name` on the server `url` points at, ending its sessions. No error if absent. */
export async function dropDatabase(url: string, name: string): Promise<void> {
  await withAdminClient(url, async (client) => {
    await client.query(`DROP DATABASE IF EXISTS ${client.escapeIdentifier(name)} WITH (FORCE)`);
  });
}
