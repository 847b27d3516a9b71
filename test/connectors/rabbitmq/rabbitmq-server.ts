/**
 * A private RabbitMQ node for connector tests (one per test file), per TARGETS.md: started through
 * /usr/lib/rabbitmq/bin/rabbitmq-server -detached (the /usr/sbin wrapper switches user) with its
 * own HOME, node name, four free loopback ports (AMQP, distribution, epmd, management), config,
 * enabled-plugins file, mnesia and log directories in a mktemp directory. Startup takes 3.5–6 s.
 *
 * epmd is started here, in the foreground, on the node's epmd port before the node (which then
 * registers with it instead of daemonising one that would outlive the tests), so both processes
 * are known by pid and stopped by pid — in stop() and, should the test process exit without it,
 * in an exit hook. The admin user is loaded from a definitions file that holds only its password
 * hash (computed by the connector's own rmq-hash.ts: the node accepting the login checks it).
 *
 * Missing binaries: with CI=true the file fails; by hand its tests are skipped with a loud message.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import { existsSync, rmSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HASHING_ALGORITHM, passwordHash } from '../../../src/connectors/rabbitmq/index.js';
import { freePort } from '../../harness/free-port.js';
import { warnLoudly } from '../../harness/postgres.js';

const SERVER = process.env.CUSTOS_RABBITMQ_SERVER ?? '/usr/lib/rabbitmq/bin/rabbitmq-server';
const EPMD = process.env.CUSTOS_EPMD ?? '/usr/bin/epmd';
const ADMIN = 'custos-admin';

export interface RabbitServer {
  readonly amqpPort: number;
  readonly managementPort: number;
  readonly adminUser: string;
  readonly adminPassword: string;
  readonly dir: string;
  /** A management API call as the admin (for test set-up and checks): status and parsed body. */
  api(method: string, path: string, body?: unknown): Promise<{ status: number; body: unknown }>;
  stop(): Promise<void>;
}

/** Whether the node can start here; false (after a loud warning) skips the file's tests by hand. */
export function rabbitAvailable(): boolean {
  if (existsSync(SERVER) && existsSync(EPMD)) return true;
  const message = `RabbitMQ not found (${SERVER}, ${EPMD}).`;
  if (process.env.CI === 'true') throw new Error(`${message} CI=true: RabbitMQ tests must run.`);
  warnLoudly(
    `${message}\nRabbitMQ connector tests will be SKIPPED. apt-get install rabbitmq-server to run them.`,
  );
  return false;
}

interface Live {
  dir: string;
  epmd: ChildProcess;
  beamPid?: number;
}
const live = new Set<Live>();
process.once('exit', () => {
  for (const l of live) {
    for (const pid of [l.beamPid, l.epmd.pid]) if (pid !== undefined) kill(pid, 'SIGKILL');
    rmSync(l.dir, { recursive: true, force: true });
  }
});

export async function startRabbitServer(): Promise<RabbitServer> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce();
    } catch (error) {
      if (attempt >= 3 || !/eaddrinuse|address already in use/i.test(String(error))) throw error;
    }
  }
}

async function startOnce(): Promise<RabbitServer> {
  const [amqpPort, distPort, epmdPort, managementPort] = await fourPorts();
  const dir = await mkdtemp(join(tmpdir(), 'custos-rabbitmq-'));
  const adminPassword = crypto.randomBytes(24).toString('base64url');
  const epmd = spawn(EPMD, ['-port', String(epmdPort), '-address', '127.0.0.1'], { stdio: 'ignore' });
  const entry: Live = { dir, epmd };
  live.add(entry);
  const stop = async () => {
    if (!live.delete(entry)) return;
    if (entry.beamPid !== undefined) await stopPid(entry.beamPid);
    await stopPid(epmd.pid);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    for (const d of ['home', 'mnesia', 'log']) await mkdir(join(dir, d));
    await writeFiles(dir, { amqpPort, managementPort, adminPassword });
    await waitFor(() => connects(epmdPort), 5000, 'epmd did not listen');
    const env = {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: join(dir, 'home'),
      RABBITMQ_CONF_ENV_FILE: join(dir, 'rabbitmq-env.conf'),
      RABBITMQ_NODENAME: `custos-${crypto.randomBytes(4).toString('hex')}@localhost`,
      RABBITMQ_NODE_IP_ADDRESS: '127.0.0.1',
      RABBITMQ_NODE_PORT: String(amqpPort),
      RABBITMQ_DIST_PORT: String(distPort),
      ERL_EPMD_PORT: String(epmdPort),
      ERL_EPMD_ADDRESS: '127.0.0.1',
      RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS: '-kernel inet_dist_use_interface {127,0,0,1}',
      RABBITMQ_CONFIG_FILE: join(dir, 'rabbitmq.conf'),
      RABBITMQ_ENABLED_PLUGINS_FILE: join(dir, 'enabled_plugins'),
      RABBITMQ_MNESIA_BASE: join(dir, 'mnesia'),
      RABBITMQ_LOG_BASE: join(dir, 'log'),
      RABBITMQ_PID_FILE: join(dir, 'rabbit.pid'),
    };
    const started = spawnSync(SERVER, ['-detached'], { env, cwd: dir, encoding: 'utf8', timeout: 30_000 });
    if (started.status !== 0) throw new Error(`rabbitmq-server -detached failed: ${started.stderr}`);
    const server = serverApi(managementPort, adminPassword);
    await waitFor(
      async () => {
        const pid = entry.beamPid ?? (await pidFrom(join(dir, 'rabbit.pid')));
        if (pid !== undefined) entry.beamPid = pid;
        if (entry.beamPid !== undefined && !alive(entry.beamPid)) throw new Error('the node exited');
        return (await server('GET', '/overview').catch(() => ({ status: 0 }))).status === 200;
      },
      60_000,
      'the management API did not answer',
    );
    await waitFor(() => connects(amqpPort), 10_000, 'the AMQP listener did not open');
    return { amqpPort, managementPort, adminUser: ADMIN, adminPassword, dir, api: server, stop };
  } catch (error) {
    const log = await logTail(join(dir, 'log'));
    await stop();
    throw new Error(`RabbitMQ did not start: ${String(error)}\n${log}`, { cause: error });
  }
}

async function writeFiles(
  dir: string,
  p: { amqpPort: number; managementPort: number; adminPassword: string },
) {
  const definitions = {
    users: [
      {
        name: ADMIN,
        password_hash: passwordHash(p.adminPassword),
        hashing_algorithm: HASHING_ALGORITHM,
        tags: ['administrator'],
      },
    ],
    // The admin has the administrator tag and no vhost permission: all the connector needs.
    vhosts: [{ name: '/' }, { name: 'orders' }],
    permissions: [],
  };
  const config = [
    `listeners.tcp.default = 127.0.0.1:${p.amqpPort}`,
    `management.tcp.ip = 127.0.0.1`,
    `management.tcp.port = ${p.managementPort}`,
    `load_definitions = ${join(dir, 'definitions.json')}`,
    'log.console = false',
    '',
  ].join('\n');
  await writeFile(join(dir, 'definitions.json'), JSON.stringify(definitions), { mode: 0o600 });
  await writeFile(join(dir, 'rabbitmq.conf'), config);
  await writeFile(join(dir, 'enabled_plugins'), '[rabbitmq_management].\n');
  await writeFile(join(dir, 'rabbitmq-env.conf'), '# private node: ignore /etc/rabbitmq/rabbitmq-env.conf\n');
}

function serverApi(port: number, password: string): RabbitServer['api'] {
  const authorization = `Basic ${Buffer.from(`${ADMIN}:${password}`).toString('base64')}`;
  return async (method, path, body) => {
    const res = await fetch(`http://127.0.0.1:${port}/api${path}`, {
      method,
      headers: { authorization, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, body: text === '' ? undefined : (JSON.parse(text) as unknown) };
  };
}

async function fourPorts(): Promise<[number, number, number, number]> {
  const ports = new Set<number>();
  while (ports.size < 4) ports.add(await freePort());
  const [a, b, c, d] = [...ports] as [number, number, number, number];
  return [a, b, c, d];
}

function connects(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1', () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
}

async function waitFor(ready: () => Promise<boolean>, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await ready())) {
    if (Date.now() > deadline) throw new Error(`${what} within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function pidFrom(file: string): Promise<number | undefined> {
  const text = await readFile(file, 'utf8').catch(() => '');
  const pid = Number(text.trim());
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function kill(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

/** SIGKILL: the node's data is thrown away, so a graceful shutdown (3–8 s) buys nothing. */
async function stopPid(pid: number | undefined): Promise<void> {
  if (pid === undefined) return;
  kill(pid, 'SIGKILL');
  await waitFor(() => Promise.resolve(!alive(pid)), 10_000, `process ${pid} did not exit`).catch(
    () => undefined,
  );
}

async function logTail(logDir: string): Promise<string> {
  const files = await readdir(logDir).catch(() => [] as string[]);
  const log = files.find((f) => f.endsWith('.log') && !f.includes('upgrade'));
  if (log === undefined) return '(no node log)';
  return (await readFile(join(logDir, log), 'utf8')).trimEnd().split('\n').slice(-30).join('\n');
}
