/**
 * A private, throwaway MariaDB for connector tests (one per test file), following TARGETS.md:
 * `mariadb-install-db` into a mkdtemp directory, then `mariadbd` on a free loopback port. The server
 * does not daemonize: the harness keeps its pid, stops it by pid in stop(), and kills it on process
 * exit should a test file die without stopping it.
 *
 * Two accounts come from the init file, both with pre-hashed passwords: `harness` (everything, for
 * setting up and inspecting) and `custos_admin`, holding exactly the privileges that
 * docs/connectors/mariadb.md tells operators to grant — so the tests prove that list suffices.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import { existsSync, rmSync } from 'node:fs';
import { chmod, chown, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import { nativeHash } from '../../../src/connectors/mariadb/index.js';
import { freePort } from '../../harness/free-port.js';
import { warnLoudly } from '../../harness/postgres.js';

const INSTALL_DB = 'mariadb-install-db';
const SERVER =
  process.env.CUSTOS_MARIADBD ?? (existsSync('/usr/sbin/mariadbd') ? '/usr/sbin/mariadbd' : 'mariadbd');

export interface MariadbServer {
  readonly port: number;
  readonly dir: string;
  readonly adminPassword: string;
  /** Runs one statement as the `harness` superuser. */
  sql<T = mysql.RowDataPacket>(text: string, values?: unknown[]): Promise<T[]>;
  /** The server's general query log (every statement it received), when started with one. */
  generalLog(): Promise<string>;
  stop(): Promise<void>;
}

/** The admin privileges documented in docs/connectors/mariadb.md (app databases: `kit\_%`). */
export const ADMIN_GRANTS = (admin: string) => [
  `GRANT CREATE USER, PROCESS, CONNECTION ADMIN ON *.* TO ${admin}`,
  `GRANT SELECT ON mysql.global_priv TO ${admin}`,
  `GRANT SELECT ON mysql.db TO ${admin}`,
  `GRANT SELECT ON mysql.tables_priv TO ${admin}`,
  `GRANT ALL PRIVILEGES ON custos.* TO ${admin}`,
  `GRANT SELECT, INSERT, UPDATE, DELETE, CREATE, DROP, INDEX, ALTER, REFERENCES, TRIGGER, CREATE VIEW,
     SHOW VIEW, EXECUTE, LOCK TABLES, CREATE TEMPORARY TABLES ON \`kit\\_%\`.* TO ${admin} WITH GRANT OPTION`,
];

export function mariadbPresent(): boolean {
  const found = (bin: string) => spawnSync('sh', ['-c', `command -v ${bin}`]).status === 0;
  return found(INSTALL_DB) && (existsSync(SERVER) || found(SERVER));
}

/**
 * Whether MariaDB tests can run. Outside CI a missing server skips them with a loud message; with
 * CI=true it throws, so that CI never skips them silently.
 */
export function mariadbOrSkip(): boolean {
  if (mariadbPresent()) return true;
  const message = `MariaDB server binaries (${INSTALL_DB}, mariadbd) not found.`;
  if (process.env.CI === 'true') throw new Error(`${message} CI=true: MariaDB tests must run.`);
  warnLoudly(
    `${message}\nMariaDB connector tests will be SKIPPED. apt-get install mariadb-server to run them.`,
  );
  return false;
}

// ---- stopping by pid, also when the process exits without stop() ----

const live = new Map<string, ChildProcess>(); // temp dir -> server
let hooked = false;

function killAllSync(): void {
  for (const [dir, child] of live) {
    if (child.exitCode === null && child.pid !== undefined) {
      try {
        process.kill(child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    rmSync(dir, { recursive: true, force: true });
  }
  live.clear();
}

function installExitHook(): void {
  if (hooked) return;
  hooked = true;
  process.once('exit', killAllSync);
  // Fatal signals skip 'exit'. Only take them over where nobody else handles them, and re-raise
  // afterwards so that the process still dies of the signal.
  for (const signal of ['SIGTERM', 'SIGHUP'] as const) {
    if (process.listenerCount(signal) > 0) continue;
    const onSignal = (): void => {
      killAllSync();
      process.removeListener(signal, onSignal);
      process.kill(process.pid, signal);
    };
    process.on(signal, onSignal);
  }
}

export async function startMariadb(options: { generalLog?: boolean } = {}): Promise<MariadbServer> {
  const dir = await mkdtemp(join(tmpdir(), 'custos-mariadb-'));
  installExitHook();
  const root = process.getuid?.() === 0;
  const asUser = root ? ['--user=mysql'] : [];
  try {
    if (root) await chown(dir, ...mysqlIds());
    const install = spawnSync(
      INSTALL_DB,
      [
        '--no-defaults',
        ...asUser,
        `--datadir=${join(dir, 'data')}`,
        '--skip-test-db',
        '--auth-root-authentication-method=socket',
      ],
      { encoding: 'utf8', timeout: 120_000 },
    );
    if (install.status !== 0) throw new Error(`${INSTALL_DB} failed:\n${install.stderr}${install.stdout}`);
    const harnessPassword = crypto.randomBytes(24).toString('base64url');
    const adminPassword = crypto.randomBytes(24).toString('base64url');
    const admin = `'custos_admin'@'127.0.0.1'`;
    const init = [
      `CREATE USER 'harness'@'127.0.0.1' IDENTIFIED BY PASSWORD '${nativeHash(harnessPassword)}'`,
      `GRANT ALL PRIVILEGES ON *.* TO 'harness'@'127.0.0.1' WITH GRANT OPTION`,
      `CREATE USER ${admin} IDENTIFIED BY PASSWORD '${nativeHash(adminPassword)}'`,
      ...ADMIN_GRANTS(admin),
    ];
    await writeFile(join(dir, 'init.sql'), init.map((s) => `${s.replace(/\s+/g, ' ')};\n`).join(''));
    await chmod(join(dir, 'init.sql'), 0o644);
    for (let attempt = 1; ; attempt++) {
      const port = await freePort();
      const child = spawnServer(dir, port, asUser, options.generalLog === true);
      live.set(dir, child);
      const ready = await waitReady(child, port, harnessPassword, dir);
      if (ready === 'ready') return handle(dir, port, child, harnessPassword, adminPassword);
      await stopChild(child);
      if (ready !== 'port taken' || attempt >= 3)
        throw new Error(`mariadbd did not start:\n${await logTail(dir)}`);
    }
  } catch (error) {
    const child = live.get(dir);
    if (child !== undefined) await stopChild(child);
    live.delete(dir);
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

function spawnServer(dir: string, port: number, asUser: string[], generalLog: boolean): ChildProcess {
  const args = [
    '--no-defaults',
    ...asUser,
    `--datadir=${join(dir, 'data')}`,
    '--bind-address=127.0.0.1',
    `--port=${port}`,
    `--socket=${join(dir, 'sock')}`,
    `--pid-file=${join(dir, 'pid')}`,
    `--log-error=${join(dir, 'error.log')}`,
    '--skip-name-resolve',
    `--init-file=${join(dir, 'init.sql')}`,
    '--innodb-buffer-pool-size=32M',
    '--innodb-flush-log-at-trx-commit=2',
    ...(generalLog ? ['--general-log=1', `--general-log-file=${join(dir, 'general.log')}`] : []),
  ];
  // detached: its own session (setsid), so that a terminal's signals do not reach it.
  const child = spawn(SERVER, args, { detached: true, stdio: 'ignore' });
  child.unref();
  return child;
}

async function waitReady(
  child: ChildProcess,
  port: number,
  password: string,
  dir: string,
): Promise<'ready' | 'port taken' | 'failed'> {
  for (let i = 0; i < 600; i++) {
    if (child.exitCode !== null) break;
    const conn = await mysql
      .createConnection({ host: '127.0.0.1', port, user: 'harness', password, connectTimeout: 1000 })
      .catch(() => undefined);
    if (conn !== undefined) {
      await conn.end();
      return 'ready';
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return /Address already in use|Bind on TCP\/IP port/i.test(await logTail(dir)) ? 'port taken' : 'failed';
}

function handle(
  dir: string,
  port: number,
  child: ChildProcess,
  harnessPassword: string,
  adminPassword: string,
): MariadbServer {
  let stopping: Promise<void> | undefined;
  return {
    port,
    dir,
    adminPassword,
    async sql<T>(text: string, values?: unknown[]) {
      const conn = await mysql.createConnection({
        host: '127.0.0.1',
        port,
        user: 'harness',
        password: harnessPassword,
        multipleStatements: false,
      });
      try {
        const [rows] = await conn.query(text, values);
        return rows as T[];
      } finally {
        await conn.end();
      }
    },
    generalLog: () => readFile(join(dir, 'general.log'), 'utf8'),
    stop() {
      stopping ??= (async () => {
        try {
          await stopChild(child);
        } finally {
          live.delete(dir);
          await rm(dir, { recursive: true, force: true });
        }
      })();
      return stopping;
    },
  };
}

/** SIGTERM (a clean shutdown), then SIGKILL after 30 s. */
async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  await exited;
  clearTimeout(timer);
}

function mysqlIds(): [number, number] {
  const id = (flag: string) => Number(spawnSync('id', [flag, 'mysql'], { encoding: 'utf8' }).stdout.trim());
  const ids: [number, number] = [id('-u'), id('-g')];
  if (!ids.every(Number.isInteger)) throw new Error("cannot resolve the uid/gid of user 'mysql'");
  return ids;
}

async function logTail(dir: string): Promise<string> {
  try {
    return (await readFile(join(dir, 'error.log'), 'utf8')).trimEnd().split('\n').slice(-20).join('\n');
  } catch {
    return '(no error log)';
  }
}
