/**
 * Alert test support: a real node:http webhook receiver on a free port (port 0) whose answers a
 * test scripts (a status, or hanging), a settable clock, a sample alert, and record readers.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { raiseAlert, type AlertInput } from '../../src/alerts/index.js';
import type { LedgerRecord } from '../../src/ledger/record.js';
import type { Ledger } from '../../src/ledger/ledger.js';
import type { Sql } from '../../src/store/sql.js';

export interface Received {
  readonly path: string;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

/** How to answer the n-th request (0-based): an HTTP status, or never answer. */
export type Answer = (n: number, request: Received) => number | 'hang';

export interface WebhookServer {
  /** `http://127.0.0.1:<port>` */
  readonly base: string;
  readonly received: Received[];
  answer: Answer;
  close(): Promise<void>;
}

/** A receiver answering after `delayMs` (so that concurrent deliverers overlap). */
export async function startWebhookServer(answer: Answer = () => 200, delayMs = 0): Promise<WebhookServer> {
  const received: Received[] = [];
  const state = { answer };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const request = {
        path: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      const n = received.length;
      received.push(request);
      const status = state.answer(n, request);
      if (status === 'hang') return; // the connection stays open until close()
      setTimeout(() => {
        res.writeHead(status, { 'content-type': 'text/plain' }).end(status < 300 ? 'ok' : 'no');
      }, delayMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    base: `http://127.0.0.1:${port}`,
    received,
    get answer() {
      return state.answer;
    },
    set answer(a: Answer) {
      state.answer = a;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface Clock {
  now: Date;
  readonly fn: () => Date;
  advance(ms: number): void;
}

export function clockAt(iso = '2030-01-01T00:00:00.000Z'): Clock {
  const clock: Clock = {
    now: new Date(iso),
    fn: () => clock.now,
    advance: (ms) => {
      clock.now = new Date(clock.now.getTime() + ms);
    },
  };
  return clock;
}

export function sampleAlert(overrides: Partial<AlertInput> = {}): AlertInput {
  return {
    subject: { kind: 'run', id: 'run_1' },
    kind: 'run.paused',
    severity: 'warning',
    notify: ['person:alice', 'group:dba'],
    summary: 'Run run_1 paused: verification failed on pg-prod',
    details: { run: 'run_1', state: 'paused', reason: 'verification failed on pg-prod' },
    correlationId: 'run_1',
    ...overrides,
  };
}

/** Raises an alert in its own transaction; returns its id and the index of its alert.raised record. */
export async function raise(
  ledger: Ledger,
  now: Date,
  input: AlertInput = sampleAlert(),
): Promise<{ id: string; index: number }> {
  const { value, records } = await ledger.transact((tx) => raiseAlert(tx, input, now));
  return { id: value, index: records[0]!.index };
}

export async function records(sql: Sql, type?: string): Promise<LedgerRecord[]> {
  const rows = await sql.query<{ data: Uint8Array }>('SELECT data FROM ledger_records ORDER BY idx');
  return rows
    .map((r) => JSON.parse(Buffer.from(r.data).toString('utf8')) as LedgerRecord)
    .filter((r) => type === undefined || r.type === type);
}

/** Every stored byte that could leak: outbox rows and ledger records, as text. */
export async function everythingStored(sql: Sql): Promise<string> {
  const alerts = await sql.query('SELECT * FROM alerts');
  const ledger = await records(sql);
  return JSON.stringify(alerts) + JSON.stringify(ledger);
}
