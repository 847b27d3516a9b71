/**
 * A real AMQP 0-9-1 login as the managed user (amqplib), to verify a credential on the broker
 * itself. The handshake has two gates, and the outcome says which one refused:
 *
 * - `refused`: authentication failed — 403 ACCESS_REFUSED after connection.start-ok (a wrong
 *   password, no password, or no such user; the broker does not say which);
 * - `open_refused`: authenticated, but connection.open on the vhost was refused (530: no access to
 *   the vhost, or the user's connection limit — max-connections = 0 for a suspended user).
 *   amqplib reports this close without its reply text, so the caller tells the two apart from the
 *   user's permissions and limits, read as the admin;
 * - `ok`: the connection opened (and is closed again at once).
 *
 * An unreachable broker is not an outcome but a retryable CONNECTOR_UNAVAILABLE. The password is
 * passed as a field, never in a URL, and no amqplib message is repeated.
 */
import amqp from 'amqplib';
import { CustosError } from '../../core/errors.js';
import { codeOf } from './rmq-errors.js';
import type { AmqpEndpoint } from './rmq-settings.js';

export type LoginOutcome = 'ok' | 'refused' | 'open_refused';

export async function tryLogin(
  endpoint: AmqpEndpoint,
  user: string,
  password: string,
  timeoutMs: number,
): Promise<LoginOutcome> {
  let connection: amqp.ChannelModel;
  try {
    connection = await amqp.connect(
      { ...endpoint, username: user, password, heartbeat: 0 },
      { timeout: timeoutMs },
    );
  } catch (error) {
    return classify(error);
  }
  connection.on('error', () => undefined);
  await connection.close().catch(() => undefined);
  return 'ok';
}

function classify(error: unknown): LoginOutcome {
  const message = error instanceof Error ? error.message : '';
  if (/\b403\b|ACCESS[-_]REFUSED/.test(message)) return 'refused';
  if (/^Expected ConnectionOpenOk; got <ConnectionClose/.test(message)) return 'open_refused';
  const code = codeOf(error);
  throw new CustosError('CONNECTOR_UNAVAILABLE', `AMQP login check failed: ${code ?? 'connection failed'}`, {
    retryable: true,
    details: { code: code ?? null },
  });
}
