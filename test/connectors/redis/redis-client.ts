/** Real sessions as a managed user, to see what the connector does to open connections. */
import { Redis } from 'ioredis';

export interface UserSession {
  readonly client: Redis;
  /** Whether the connection is still open (a NOPERM reply still means an open session). */
  alive(): Promise<boolean>;
  close(): void;
}

/** Connects over RESP2 and authenticates with an explicit AUTH (throws WRONGPASS if refused). */
export async function openSession(
  address: { readonly host: string; readonly port: number },
  user: string,
  password: string,
): Promise<UserSession> {
  const client = new Redis({
    ...address,
    protocol: 2,
    lazyConnect: true,
    retryStrategy: () => null,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    enableReadyCheck: false,
    disableClientInfo: true,
  });
  client.on('error', () => undefined);
  await client.connect();
  try {
    await client.call('AUTH', [user, password]);
  } catch (error) {
    client.disconnect();
    throw error;
  }
  return {
    client,
    alive: async () => {
      try {
        await client.call('PING');
        return true;
      } catch (error) {
        return error instanceof Error && error.message.startsWith('NOPERM');
      }
    },
    close: () => client.disconnect(),
  };
}
