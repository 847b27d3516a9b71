/**
 * A real login as a managed user: connect over RESP2 without credentials and send an explicit
 * `AUTH <user> <password>`. RESP2 and an explicit AUTH because ioredis otherwise opens with
 * `HELLO 3 AUTH …`, and a refused HELLO surfaces as a closed connection, not as WRONGPASS.
 * Redis answers WRONGPASS both for a wrong password and for a disabled (`off`) user; the user's
 * flags, read separately, tell the two apart.
 *
 * The password is sent to the server, as Redis authentication requires; Redis redacts AUTH
 * arguments in MONITOR and SLOWLOG, and it is never passed to the connector's command logger.
 */
import { Redis } from 'ioredis';
import { clientOptions, type RedisConnection } from './redis-admin.js';

export type LoginOutcome = 'ok' | 'refused' | 'failed';

export async function tryLogin(
  settings: Pick<RedisConnection, 'host' | 'port'>,
  user: string,
  password: string,
): Promise<LoginOutcome> {
  const client = new Redis(clientOptions(settings));
  client.on('error', () => undefined);
  try {
    await client.connect();
    return (await client.call('AUTH', [user, password])) === 'OK' ? 'ok' : 'failed';
  } catch (error) {
    return error instanceof Error && error.message.startsWith('WRONGPASS') ? 'refused' : 'failed';
  } finally {
    client.disconnect();
  }
}
