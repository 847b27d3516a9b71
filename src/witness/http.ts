/**
 * The witness HTTP service (node:http): `POST /add-checkpoint` per c2sp.org/tlog-witness and
 * `GET /healthz`. Witness.addCheckpoint is synchronous, so on one process each check-and-persist runs
 * alone (the spec's atomicity); across processes the store's compare-and-set keeps it.
 *
 *   200 cosignature line(s)   400 malformed / old size > size   403 not signed by the log key
 *   404 unknown log           409 stale old size or same-size fork (text/x.tlog.size body: our size)
 *   413 body over 64 KiB      422 consistency proof fails        500 anything else (details not sent)
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { isCustosError } from '../core/errors.js';
import type { CustosError } from '../core/errors.js';
import {
  formatSizeBody,
  MAX_BODY_BYTES,
  parseAddCheckpointBody,
  TLOG_SIZE_CONTENT_TYPE,
} from './protocol.js';
import type { Witness } from './witness.js';

export interface WitnessServerOptions {
  readonly witness: Witness;
  /** 0 picks a free port. */
  readonly port: number;
  readonly host?: string;
  /** Receives one line per unexpected (500) error; never request bodies. */
  readonly log?: (line: string) => void;
}

export interface WitnessServer {
  /** Base URL, the submission prefix: `${url}/add-checkpoint`. */
  readonly url: string;
  close(): Promise<void>;
}

const TEXT = 'text/plain; charset=utf-8';

export async function startWitnessServer(options: WitnessServerOptions): Promise<WitnessServer> {
  const { witness, port, host = '127.0.0.1' } = options;
  const server = http.createServer((req, res) => {
    const reply = (status: number, body: string, type = TEXT, extra: http.OutgoingHttpHeaders = {}): void => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', ...extra }).end(body);
    };
    const path = (req.url ?? '/').split('?')[0];
    const allowed = path === '/healthz' ? ['GET', 'HEAD'] : path === '/add-checkpoint' ? ['POST'] : undefined;
    if (allowed === undefined || !allowed.includes(req.method ?? '')) {
      req.resume();
      if (allowed === undefined) reply(404, 'not found\n');
      else reply(405, 'method not allowed\n', TEXT, { allow: allowed.join(', ') });
      return;
    }
    if (path === '/healthz') {
      req.resume();
      reply(200, 'ok\n');
      return;
    }
    const chunks: Buffer[] = [];
    let length = 0;
    req.on('data', (chunk: Buffer) => {
      length += chunk.length;
      if (length <= MAX_BODY_BYTES) chunks.push(chunk);
      else if (!res.headersSent) reply(413, 'request body over 64 KiB\n', TEXT, { connection: 'close' });
    });
    req.on('error', () => res.destroy());
    req.on('end', () => {
      if (length > MAX_BODY_BYTES) return;
      try {
        const line = witness.addCheckpoint(parseAddCheckpointBody(Buffer.concat(chunks)));
        reply(200, line);
      } catch (err) {
        const { status, body, type } = errorResponse(err);
        if (status === 500) options.log?.(`witness: add-checkpoint failed: ${describe(err)}`);
        reply(status, body, type);
      }
    });
  });
  server.requestTimeout = 30_000;
  server.headersTimeout = 10_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const hostPart = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${hostPart}:${address.port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => {
          if (err === undefined) resolve();
          else reject(err);
        });
        server.closeAllConnections();
      }),
  };
}

function errorResponse(err: unknown): { status: number; body: string; type: string } {
  if (!isCustosError(err)) return { status: 500, body: 'internal error\n', type: TEXT };
  const size = err.details.size;
  const conflict = (e: CustosError): boolean =>
    e.code === 'WITNESS_CONFLICT' || (e.code === 'CHECKPOINT_INCONSISTENT' && e.details.sameSize === true);
  if (conflict(err) && typeof size === 'number') {
    return { status: 409, body: formatSizeBody(size), type: TLOG_SIZE_CONTENT_TYPE };
  }
  const status = STATUS[err.code] ?? 500;
  return { status, body: status === 500 ? 'internal error\n' : `${err.code}: ${err.message}\n`, type: TEXT };
}

const STATUS: Partial<Record<string, number>> = {
  INPUT_INVALID: 400,
  NOTE_MALFORMED: 400,
  CHECKPOINT_MALFORMED: 400,
  NOTE_UNVERIFIED: 403,
  NOTE_SIGNATURE_INVALID: 403,
  WITNESS_UNKNOWN_LOG: 404,
  CHECKPOINT_INCONSISTENT: 422,
};

function describe(err: unknown): string {
  return isCustosError(err) ? `${err.code} ${err.message}` : err instanceof Error ? err.message : String(err);
}
