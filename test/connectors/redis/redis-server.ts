/**
 * A private Redis 7 for connector tests (one per test file): `redis-server` on a free loopback port
 * in a mktemp directory, with an ACL file that switches the default user off and defines the admin
 * user with exactly the privileges docs/connectors/redis.md asks for — so the tests prove that list
 * is enough. Stopped by pid in stop() and, failing that, when the process exits (TARGETS.md, Redis).
 */
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { warnLoudly } from '../../harness/postgres.js';
import { freePort } from '../../harness/free-port.js';

export const REDIS_SERVER = process.env.CUSTOS_REDIS_SERVER ?? 'redis-server';
export const ADMIN_USER = 'custos-admin';
/** The admin's privileges, as documented in docs/connectors/redis.md. */
export const ADMIN_RULES = [
  '~custos:*',
  'resetchannels',
  '-@all',
  '+acl',
  '+client|kill',
  '+client|list',
  '+client|id',
  '+command',
  '+multi',
  '+exec',
  '+watch',
  '+unwatch',
  '+hget',
  '+hset',
  '+hdel',
  '+hgetall',
  '+del',
  '+zadd',
  '+zrem',
  '+zrangebyscore',
];

export interface RedisServer {
  readonly port: number;
  readonly dir: string;
  readonly adminPassword: string;
  /** Runs one command as the admin (a connection kept for the file, closed by stop()). */
  admin(...argv: string[]): Promise<unknown>;
  /** A superuser of the test itself (not the connector's admin): `custos-test`, all commands. */
  superuser(...argv: string[]): Promise<unknown>;
  stop(): Promise<void>;
}

export function redisPresent(): boolean {
  return spawnSync(REDIS_SERVER, ['--version'], { stdio: 'ignore' }).status === 0;
}

const live = new Set<string>();
let hooked = false;
function killSync(dir: string): void {
  const pidFile = join(dir, 'redis.pid');
  if (existsSync(pidFile)) {
    try {
      process.kill(Number(readFileSync(pidFile, 'utf8').trim()), 'SIGKILL');
    } catch {
      // already gone
    }
  }
  rmSync(dir, { recursive: true, force: true });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const sha256 = (s: string) => crypto.createHash('sha256').update(s).digest('hex');

export async function startRedisServer(options: { aclFile?: boolean } = {}): Promise<RedisServer> {
  const dir = await mkdtemp(join(tmpdir(), 'custos-redis-'));
  if (!hooked) {
    hooked = true;
    process.once('exit', () => [...live].forEach(killSync));
    // Fatal signals skip 'exit': where nobody else handles them, clean up and die of the signal.
    for (const signal of ['SIGTERM', 'SIGHUP'] as const) {
      if (process.listenerCount(signal) > 0) continue;
      process.once(signal, () => {
        [...live].forEach(killSync);
        process.kill(process.pid, signal);
      });
    }
  }
  live.add(dir);
  const adminPassword = crypto.randomBytes(24).toString('base64url');
  const testPassword = crypto.randomBytes(24).toString('base64url');
  const acl = [
    'user default off',
    `user ${ADMIN_USER} on #${sha256(adminPassword)} ${ADMIN_RULES.join(' ')}`,
    `user custos-test on #${sha256(testPassword)} ~* &* +@all`,
    '',
  ].join('\n');
  await writeFile(join(dir, 'users.acl'), acl);
  const port = await start(dir, options.aclFile !== false, acl).catch(async (error: unknown) => {
    await stopServer(dir);
    live.delete(dir);
    throw error;
  });
  const clients = new Map<string, Redis>();
  const as = async (user: string, password: string, argv: string[]) => {
    let client = clients.get(user);
    if (client === undefined) {
      client = new Redis({
        host: '127.0.0.1',
        port,
        username: user,
        password,
        protocol: 2,
        lazyConnect: true,
      });
      client.on('error', () => undefined);
      clients.set(user, client);
      await client.connect();
    }
    return client.call(argv[0]!, argv.slice(1));
  };
  let stopping: Promise<void> | undefined;
  return {
    port,
    dir,
    adminPassword,
    admin: (...argv) => as(ADMIN_USER, adminPassword, argv),
    superuser: (...argv) => as('custos-test', testPassword, argv),
    stop() {
      stopping ??= (async () => {
        for (const c of clients.values()) c.disconnect();
        await stopServer(dir);
        live.delete(dir);
      })();
      return stopping;
    },
  };
}

/** Starts redis-server daemonized; retries on a port taken in between. */
async function start(dir: string, aclFile: boolean, acl: string): Promise<number> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];
    args.push(
      '--daemonize',
      'yes',
      '--pidfile',
      join(dir, 'redis.pid'),
      '--dir',
      dir,
      '--logfile',
      join(dir, 'redis.log'),
    );
    if (aclFile) args.push('--aclfile', join(dir, 'users.acl'));
    else args.push('--include', join(dir, 'users.conf'));
    if (!aclFile) await writeFile(join(dir, 'users.conf'), acl);
    const result = spawnSync(REDIS_SERVER, args, { encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`${REDIS_SERVER} failed: ${result.stderr}`);
    for (let i = 0; i < 200; i++) {
      if (await answers(port)) return port;
      const log = await readFile(join(dir, 'redis.log'), 'utf8').catch(() => '');
      if (/Address already in use/i.test(log) && attempt < 3) break;
      if (i === 199) throw new Error(`redis-server did not start on 127.0.0.1:${port}:\n${log.slice(-2000)}`);
      await sleep(10);
    }
  }
}

async function answers(port: number): Promise<boolean> {
  const client = new Redis({
    host: '127.0.0.1',
    port,
    lazyConnect: true,
    retryStrategy: () => null,
    protocol: 2,
    enableReadyCheck: false,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

/** SIGTERM by pid; Redis removes its pid file as it exits (the zombie left may take a while to reap). */
async function stopServer(dir: string): Promise<void> {
  const pidFile = join(dir, 'redis.pid');
  const pid = Number((await readFile(pidFile, 'utf8').catch(() => '')).trim());
  if (Number.isInteger(pid) && pid > 0) {
    try {
      process.kill(pid, 'SIGTERM');
      for (let i = 0; i < 300 && existsSync(pidFile); i++) await sleep(10);
      if (existsSync(pidFile)) process.kill(pid, 'SIGKILL');
    } catch {
      // the process is gone
    }
  }
  await rm(dir, { recursive: true, force: true });
}

/**
 * startRedisServer(), except that a missing redis-server outside CI gives `undefined` and a loud
 * warning (the file's tests are skipped); with CI=true it is an error.
 */
export async function startRedisOrSkip(): Promise<RedisServer | undefined> {
  if (redisPresent()) return startRedisServer();
  const message = `${REDIS_SERVER} not found.`;
  if (process.env.CI === 'true')
    throw new Error(`${message} CI=true: Redis tests must run. apt-get install redis-server.`);
  warnLoudly(`${message}\nRedis connector tests will be SKIPPED. apt-get install redis-server to run them.`);
  return undefined;
}
