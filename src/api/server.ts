/**
 * `custos serve`: the HTTP API on node:http. No framework: the routes are a table (./routes.ts),
 * and one pipeline serves them all — route, authenticate, rate-limit, read and validate the body,
 * reserve the Idempotency-Key of a write, call the service (which authorizes), answer, log.
 */
import crypto from 'node:crypto';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { CustosError } from '../core/errors.js';
import type { Custos } from '../main.js';
import { LedgerIndex, LocalService, OPERATIONS, parseInput, type Authenticated } from '../service/index.js';
import {
  describeInternal,
  levelOf,
  pathOnly,
  stdoutLog,
  type AccessLog,
  type RequestFacts as Facts,
} from './access-log.js';
import { authenticate } from './auth.js';
import { readBody, parseJsonBody, sendJson, sendProblem } from './http-io.js';
import { infrastructure } from './infrastructure.js';
import { IDEMPOTENCY_KEY, IdempotencyStore } from './idempotency.js';
import { Metrics } from './metrics.js';
import { openApiDocument } from './openapi.js';
import { toProblem } from './problem.js';
import { RateLimiter, type RateLimitOptions } from './rate-limit.js';
import { requestInput } from './request-input.js';
import { Router } from './router.js';
import { ROUTES } from './routes.js';

export interface ApiServerOptions {
  readonly custos: Custos;
  /** Default 127.0.0.1. */
  readonly host?: string;
  /** Default 0: a free port (read it from `url`). */
  readonly port?: number;
  /** Default 1 MiB. */
  readonly maxBodyBytes?: number;
  /** Per API token (or client address without one). Default 60 at once, 20 per second. */
  readonly rateLimit?: RateLimitOptions;
  /** How long an Idempotency-Key and its answer are kept. Default one day. */
  readonly idempotencyTtlSeconds?: number;
  /** Default: one JSON line per request on stdout. */
  readonly log?: AccessLog;
  /** The API version in the OpenAPI document. */
  readonly version?: string;
}

export interface ApiServer {
  readonly url: string;
  readonly service: LocalService;
  readonly metrics: Metrics;
  close(): Promise<void>;
}

interface Deps {
  readonly custos: Custos;
  readonly service: LocalService;
  readonly router: Router;
  readonly limiter: RateLimiter;
  readonly idempotency: IdempotencyStore;
  readonly metrics: Metrics;
  readonly maxBodyBytes: number;
  readonly openapi: string;
}

export async function startApiServer(options: ApiServerOptions): Promise<ApiServer> {
  const { custos } = options;
  const index = new LedgerIndex(custos.ledger);
  const metrics = new Metrics(custos, index);
  const service = new LocalService(custos, {
    index,
    onWrite: (operation, s) => metrics.appendSeconds.observe({ operation }, s),
  });
  const deps: Deps = {
    custos,
    service,
    router: new Router(ROUTES),
    limiter: new RateLimiter(options.rateLimit ?? { burst: 60, perSecond: 20 }),
    idempotency: new IdempotencyStore(custos.ledger, {
      ttlSeconds: options.idempotencyTtlSeconds ?? 86_400,
      abandonedSeconds: 300,
      now: custos.now,
    }),
    metrics,
    maxBodyBytes: options.maxBodyBytes ?? 1024 * 1024,
    openapi: JSON.stringify(openApiDocument({ version: options.version ?? '1' })),
  };
  const log = options.log ?? stdoutLog;
  const server = http.createServer((req, res) => {
    handle(deps, req, res, log).catch(() => req.socket.destroy());
  });
  server.requestTimeout = 60_000;
  server.headersTimeout = 20_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${host}:${address.port}`,
    service,
    metrics,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function handle(deps: Deps, req: IncomingMessage, res: ServerResponse, log: AccessLog): Promise<void> {
  const started = performance.now();
  const requestId = crypto.randomUUID();
  const facts: Facts = {
    requestId,
    method: req.method ?? '',
    path: pathOnly(req.url),
    remote: req.socket.remoteAddress ?? null,
  };
  let status = 500;
  try {
    status = await answer(deps, req, res, facts);
  } catch (error) {
    const problem = toProblem(error, requestId);
    status = problem.status;
    facts.code = problem.code;
    if (problem.code === 'INTERNAL_ERROR') facts.error = describeInternal(error);
    const headers: Record<string, string> = {};
    if (status === 401) headers['www-authenticate'] = 'Bearer';
    if (status === 429) headers['retry-after'] = String(problem.details['retryAfter'] ?? 1);
    if (status === 405) headers['allow'] = String(problem.details['allow'] ?? '');
    if (status === 413) headers['connection'] = 'close';
    facts.bytesOut = res.headersSent ? 0 : sendProblem(res, problem, headers);
  } finally {
    const seconds = (performance.now() - started) / 1000;
    const operation = facts.operation ?? 'none';
    deps.metrics.requests.inc({ operation, status: String(status) });
    deps.metrics.requestSeconds.observe({ operation }, seconds);
    log({
      time: new Date().toISOString(),
      level: levelOf(status),
      msg: 'request',
      requestId,
      method: facts.method ?? '',
      path: facts.path ?? '',
      route: facts.route ?? null,
      operation: facts.operation ?? null,
      status,
      code: facts.code ?? null,
      ms: Math.round(seconds * 1000 * 10) / 10,
      principal: facts.principal ?? null,
      tokenId: facts.tokenId ?? null,
      replayed: facts.replayed ?? false,
      bytesIn: facts.bytesIn ?? 0,
      bytesOut: facts.bytesOut ?? 0,
      remote: facts.remote ?? null,
      ...(facts.error === undefined ? {} : { error: facts.error }),
    });
  }
}

/** Serves one request; returns its status. Throws for a problem answer. */
async function answer(deps: Deps, req: IncomingMessage, res: ServerResponse, facts: Facts): Promise<number> {
  const method = req.method ?? '';
  const raw = req.url ?? '/';
  const q = raw.indexOf('?');
  const path = q < 0 ? raw : raw.slice(0, q);
  const query = new URLSearchParams(q < 0 ? '' : raw.slice(q + 1));
  const infra = await infrastructure(deps, req, res, method, path, facts, (r, x) =>
    authenticated(deps, r, x),
  );
  if (infra !== undefined) return infra;

  const match = deps.router.match(method, path);
  const name = match.route.operation;
  const op = OPERATIONS[name];
  facts.route = match.route.path;
  facts.operation = name;
  const caller = op.access === 'public' ? undefined : await authenticated(deps, req, facts);
  deps.limiter.take(caller === undefined ? `ip:${facts.remote ?? ''}` : `token:${caller.tokenId}`);
  const body = await readBody(req, deps.maxBodyBytes);
  facts.bytesIn = body.length;
  const input = requestInput(match, query, parseJsonBody(req, body));
  const key = op.writes ? idempotencyKey(req) : undefined;
  if (name === 'fileRequest' && key !== undefined && input['idempotencyKey'] === undefined)
    input['idempotencyKey'] = key;
  parseInput(op.input, input);
  const who = caller ?? { principal: 'anonymous', scopes: [] };
  if (key === undefined || caller === undefined) {
    const result = await deps.service.call(name, who, input);
    facts.bytesOut = sendJson(res, match.route.status ?? 200, result);
    return match.route.status ?? 200;
  }
  const reservation = await deps.idempotency.reserve(
    caller.principal,
    key,
    IdempotencyStore.requestHash(method, path, input),
  );
  if (reservation.kind === 'replay') {
    facts.replayed = true;
    const { status, body: stored } = reservation.answer;
    const headers = { 'idempotent-replayed': 'true' };
    facts.bytesOut =
      status >= 400 ? sendProblem(res, stored as never, headers) : sendJson(res, status, stored, headers);
    return status;
  }
  try {
    const result = await deps.service.call(name, caller, input);
    const status = match.route.status ?? 200;
    await deps.idempotency.complete(caller.principal, key, name, { status, body: result });
    facts.bytesOut = sendJson(res, status, result);
    return status;
  } catch (error) {
    await settle(deps, caller.principal, key, name, error, facts.requestId ?? '');
    throw error;
  }
}

/**
 * A refusal by the service is the answer to this key (a replay gets it again); a failure that may
 * go otherwise next time (unauthorized now, rate limited, unavailable, internal) releases the key.
 */
async function settle(
  deps: Deps,
  principal: string,
  key: string,
  name: keyof typeof OPERATIONS,
  error: unknown,
  requestId: string,
) {
  const problem = toProblem(error, requestId);
  const final = problem.status < 500 && ![401, 403, 429].includes(problem.status) && !problem.retryable;
  if (final) await deps.idempotency.complete(principal, key, name, { status: problem.status, body: problem });
  else await deps.idempotency.release(principal, key);
}

async function authenticated(deps: Deps, req: IncomingMessage, facts: Facts): Promise<Authenticated> {
  try {
    const caller = await authenticate(deps.custos, req);
    facts.principal = caller.principal;
    facts.tokenId = caller.tokenId;
    return caller;
  } catch (error) {
    // Failed attempts count against the client's address.
    deps.limiter.take(`ip:${facts.remote ?? ''}`);
    throw error;
  }
}

function idempotencyKey(req: IncomingMessage): string {
  const key = req.headers['idempotency-key'];
  if (typeof key !== 'string' || !IDEMPOTENCY_KEY.test(key)) {
    throw new CustosError(
      'IDEMPOTENCY_KEY_MISSING',
      'a write needs an Idempotency-Key header (1 to 128 printable characters)',
      {
        details: { field: 'Idempotency-Key' },
      },
    );
  }
  return key;
}
