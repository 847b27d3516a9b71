/**
 * The admin connection to one Redis server: its settings (the password by reference only), and a
 * session per connector call on a connection of its own. A connection of its own because WATCH
 * state belongs to a connection: two calls multiplexed on one client would share it.
 *
 * Every command the connector sends goes through `call` or `exec` and is reported to an optional
 * logger as its argument vector: commands carry SHA-256 password hashes, never passwords. (The
 * admin's own AUTH is sent by ioredis on connect and is not reported.) RESP2 throughout: replies
 * keep one shape, and error replies such as WRONGPASS are not hidden behind HELLO.
 */
import { Redis } from 'ioredis';
import { z } from 'zod';
import { CustosError } from '../../core/errors.js';
import type { TargetSystem } from '../contract.js';
import { toConnectorError } from './redis-errors.js';

const connectionSchema = z.strictObject({
  host: z.string().min(1),
  port: z.number().int().min(1).max(65535).default(6379),
  /** The admin ACL user (see docs/connectors/redis.md for the privileges it needs). */
  user: z.string().min(1),
  /** A reference such as `env:REDIS_ADMIN_PASSWORD`, resolved by the injected resolver. */
  password: z.string().min(1),
  /** The database holding Custos's journal and records (`custos:*` keys). */
  db: z.number().int().min(0).max(15).default(0),
});

export type RedisConnection = z.infer<typeof connectionSchema>;

export function parseConnection(system: TargetSystem): RedisConnection {
  const parsed = connectionSchema.safeParse(system.connection);
  if (!parsed.success) {
    const fields = parsed.error.issues.map((i) => i.path.join('.') || '(root)').join(', ');
    throw new CustosError(
      'CONFIG_INVALID',
      `system ${system.id}: invalid Redis connection settings (${fields})`,
      {
        details: { system: system.id },
      },
    );
  }
  return parsed.data;
}

/** Receives the argument vector of every command sent (for tests and audits). */
export type CommandLogger = (argv: readonly string[]) => void;

export type Reply = [error: Error | null, result: unknown];

/** Options shared by the admin client and real logins: no retries, no queue, bounded waits. */
export function clientOptions(settings: Pick<RedisConnection, 'host' | 'port'>) {
  return {
    host: settings.host,
    port: settings.port,
    protocol: 2 as const,
    lazyConnect: true,
    retryStrategy: () => null,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    enableReadyCheck: false,
    disableClientInfo: true,
    connectTimeout: 5000,
    commandTimeout: 10_000,
  };
}

export class AdminSession {
  constructor(
    private readonly client: Redis,
    private readonly log: CommandLogger,
  ) {}

  async call(...argv: string[]): Promise<unknown> {
    const [command, ...args] = argv;
    if (command === undefined) throw new TypeError('empty command');
    this.log(argv);
    return this.client.call(command, args);
  }

  /** Sends the commands in one round trip; each reply or error in order. */
  async pipeline(commands: readonly string[][]): Promise<Reply[]> {
    const p = this.client.pipeline();
    for (const argv of commands) {
      this.log(argv);
      p.call(argv[0]!, argv.slice(1));
    }
    return (await p.exec()) ?? [];
  }

  /**
   * MULTI … EXEC: the server runs the commands together, no other client in between. Null when a
   * WATCHed key changed since WATCH (nothing ran). Redis does not roll back: a command that fails
   * at run time leaves the others applied, so callers check every reply.
   */
  async exec(commands: readonly string[][]): Promise<Reply[] | null> {
    const tx = this.client.multi();
    this.log(['MULTI']);
    for (const argv of commands) {
      this.log(argv);
      tx.call(argv[0]!, argv.slice(1));
    }
    this.log(['EXEC']);
    return tx.exec();
  }
}

/** Opens a fresh admin connection, runs `body`, closes it; every failure becomes a coded error. */
export async function withAdmin<T>(
  settings: RedisConnection,
  password: string,
  log: CommandLogger,
  what: string,
  body: (session: AdminSession) => Promise<T>,
): Promise<T> {
  let lastError: Error | undefined;
  const client = new Redis({
    ...clientOptions(settings),
    username: settings.user,
    password,
    db: settings.db,
  });
  client.on('error', (e: Error) => (lastError = e));
  try {
    await client.connect();
    return await body(new AdminSession(client, log));
  } catch (error) {
    throw toConnectorError(error, what, client.status === 'ready' ? undefined : lastError);
  } finally {
    client.disconnect();
  }
}
