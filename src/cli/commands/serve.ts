/**
 * `custos serve`: the HTTP API over the local store, and the host loop a deployment needs — at start,
 * `recover()` continues every run a crash left in flight (except those another live process is
 * executing); then every few seconds it continues the runs of processes that died
 * (`recoverOrphans()`, run-claims.ts), `tick()` fires the durable timers that are due (approval reminders, escalation, expiry, break-glass revocation,
 * reviews), ends expired rotation overlaps on Redis and OpenLDAP targets, and the alert deliverer
 * sends due alerts to the configured webhook. SIGINT or SIGTERM stops it cleanly: no new requests, the loop's current pass finishes, the store closes.
 *
 *   serve [--host 127.0.0.1] [--port 8080] [--tick-seconds 5] [--webhook URL]
 *   (the webhook's HMAC key comes from CUSTOS_ALERT_WEBHOOK_SECRET, never a flag)
 */
import { createAlertDelivery, type WebhookConfig } from '../../alerts/index.js';
import { parseConfig } from '../../config/index.js';
import { CustosError } from '../../core/errors.js';
import { openCustos } from '../../main.js';
import { startApiServer } from '../../api/index.js';
import { intFlag } from '../args.js';
import { EXIT, type CliIo, type ParsedArgs } from '../io.js';
import { hostLoop, logLine } from './host-loop.js';

export async function serveCommand(args: ParsedArgs, io: CliIo): Promise<number> {
  const host = args.flags['host'] ?? io.env['CUSTOS_HOST'] ?? '127.0.0.1';
  const port = portOf(args, io);
  const tickSeconds = intFlag(args, 'tick-seconds', 1, 3600) ?? 5;
  const webhooks = webhooksOf(args, io);
  const custos = await openCustos(parseConfig({ env: io.env, flags: args.flags, cwd: io.cwd }));
  try {
    const engine = await custos.runs();
    const recovered = await engine.recover();
    if (recovered.length > 0) logLine(io, 'info', 'recovered runs', { runs: recovered.map((r) => r.id) });
    const delivery = createAlertDelivery({ ledger: custos.ledger, webhooks });
    const server = await startApiServer({ custos, host, port });
    logLine(io, 'info', 'listening', { url: server.url, store: custos.store.description, tickSeconds });
    const loop = hostLoop(io, tickSeconds * 1000, async () => {
      const orphans = await engine.recoverOrphans();
      const fired = await engine.tick();
      const swept = await custos.sweepOverlaps();
      const sent = await delivery.deliverDue();
      return {
        recovered: orphans.length,
        timers: fired.fired,
        failedTimers: fired.failed,
        runs: fired.runs.length,
        overlapsEnded: swept.reduce((n, s) => n + s.removed, 0),
        sweepFailures: swept.filter((s) => s.error !== undefined).length,
        ...sent,
      };
    });
    await stopSignal();
    logLine(io, 'info', 'stopping', {});
    await loop.stop();
    await server.close();
    return EXIT.ok;
  } finally {
    await custos.close();
  }
}

/** --port, else CUSTOS_PORT, else 8080; 0 picks a free port (the `listening` line says which). */
function portOf(args: ParsedArgs, io: CliIo): number {
  const value = args.flags['port'] ?? io.env['CUSTOS_PORT'] ?? '8080';
  const port = Number(value);
  if (!/^\d{1,5}$/.test(value) || port > 65535)
    throw new CustosError('INPUT_INVALID', '--port (or CUSTOS_PORT) must be 0 to 65535');
  return port;
}

/** Resolves on the first SIGINT or SIGTERM (a second one kills the process as usual). */
function stopSignal(): Promise<void> {
  return new Promise((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}

function webhooksOf(args: ParsedArgs, io: CliIo): WebhookConfig[] {
  const url = args.flags['webhook'] ?? io.env['CUSTOS_ALERT_WEBHOOK_URL'];
  if (url === undefined || url === '') return [];
  const secret = io.env['CUSTOS_ALERT_WEBHOOK_SECRET'];
  if (args.flags['webhook-secret'] !== undefined)
    throw new CustosError(
      'INPUT_INVALID',
      'the webhook key comes from CUSTOS_ALERT_WEBHOOK_SECRET, never a flag',
    );
  return [{ url, name: 'alerts', ...(secret === undefined || secret === '' ? {} : { secret }) }];
}
