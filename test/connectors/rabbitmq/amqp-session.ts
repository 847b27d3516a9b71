/** Test helpers: a real AMQP session as a managed user, and a crash injected at a chosen request. */
import amqp from 'amqplib';
import type { AmqpEndpoint, SentRequest } from '../../../src/connectors/rabbitmq/index.js';
import type { KitSession } from '../../../src/connectors/kit/contract-kit.js';

export interface Session extends KitSession {
  readonly connection: amqp.ChannelModel;
  /** Whether the broker has not closed it (yet). */
  open(): boolean;
  /** Resolves once the broker has closed the session; rejects if it is still open after 5 s. */
  closedByBroker(): Promise<void>;
}

export async function openSession(endpoint: AmqpEndpoint, user: string, secret: string): Promise<Session> {
  const connection = await amqp.connect({ ...endpoint, username: user, password: secret });
  connection.on('error', () => undefined);
  let isOpen = true;
  const closed = new Promise<void>((resolve) =>
    connection.on('close', () => {
      isOpen = false;
      resolve();
    }),
  );
  return {
    connection,
    open: () => isOpen,
    // A round trip: opening (and closing) a channel fails on a connection the broker closed.
    alive: () =>
      connection.createChannel().then(
        async (channel) => {
          await channel.close();
          return true;
        },
        () => false,
      ),
    close: () => (isOpen ? connection.close().catch(() => undefined) : Promise.resolve()),
    closedByBroker: () =>
      Promise.race([
        closed,
        new Promise<never>((_, reject) => setTimeout(() => reject(new Error('session still open')), 5000)),
      ]),
  };
}

/** A request logger that throws at the first request matching `when`: the process "dies" there. */
export function crashOn(when: (r: SentRequest) => boolean): (r: SentRequest) => void {
  return (r) => {
    if (when(r)) throw new Error('crash');
  };
}
