/**
 * The routes beside the API: /healthz (the process answers), /readyz (store, migrations, ledger),
 * /openapi.json (public) and /metrics (any authenticated caller, rate-limited like the API).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { CustosError } from '../core/errors.js';
import type { Custos } from '../main.js';
import type { Authenticated } from '../service/index.js';
import type { RequestFacts as Facts } from './access-log.js';
import { readiness } from './health.js';
import { sendJson, sendText } from './http-io.js';
import type { Metrics } from './metrics.js';
import type { RateLimiter } from './rate-limit.js';

export interface InfraDeps {
  readonly custos: Custos;
  readonly limiter: RateLimiter;
  readonly metrics: Metrics;
  readonly openapi: string;
}

/** /healthz, /readyz, /openapi.json and /metrics; undefined for any other path. */
export async function infrastructure(
  deps: InfraDeps,
  req: IncomingMessage,
  res: ServerResponse,
  method: string,
  path: string,
  facts: Facts,
  authenticated: (req: IncomingMessage, facts: Facts) => Promise<Authenticated>,
): Promise<number | undefined> {
  if (!['/healthz', '/readyz', '/openapi.json', '/metrics'].includes(path)) return undefined;
  facts.route = path;
  if (method !== 'GET') {
    throw new CustosError('METHOD_NOT_ALLOWED', `${method} is not allowed here`, {
      details: { allow: 'GET' },
    });
  }
  if (path === '/healthz') {
    facts.bytesOut = sendJson(res, 200, { status: 'ok' });
    return 200;
  }
  if (path === '/readyz') {
    const ready = await readiness(deps.custos);
    const status = ready.ready ? 200 : 503;
    facts.bytesOut = sendJson(res, status, {
      status: ready.ready ? 'ready' : 'unready',
      checks: ready.checks,
    });
    return status;
  }
  if (path === '/openapi.json') {
    facts.bytesOut = sendText(res, 200, deps.openapi, 'application/json');
    return 200;
  }
  const caller = await authenticated(req, facts);
  deps.limiter.take(`token:${caller.tokenId}`);
  facts.bytesOut = sendText(
    res,
    200,
    await deps.metrics.render(),
    'text/plain; version=0.0.4; charset=utf-8',
  );
  return 200;
}
