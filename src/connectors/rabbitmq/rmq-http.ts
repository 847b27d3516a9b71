/**
 * The management HTTP API of one broker, as the admin: JSON in and out, every request bounded by
 * the system's timeout, every failure a coded, retryable-or-not CustosError (rmq-errors.ts). The
 * admin password is resolved once, kept in the Authorization header value only, and never part
 * of a URL, a message or a logged request.
 */
import type { JsonValue } from '../../core/canonical-json.js';
import { httpError, networkError } from './rmq-errors.js';
import type { RmqSettings } from './rmq-settings.js';

export type Method = 'GET' | 'PUT' | 'DELETE';

/** What a request logger sees: the method, the path under /api and the JSON body sent, if any. */
export interface SentRequest {
  readonly method: Method;
  readonly path: string;
  readonly body?: string;
}

/** Receives every request before it is sent (tests: throwing aborts the call there, like a crash). */
export type RequestLogger = (request: SentRequest) => void;

export interface Response {
  readonly status: number;
  readonly body: unknown;
  /** The broker's clock at the response (the Date header), in ms; undefined without one. */
  readonly date: number | undefined;
}

export class ManagementApi {
  private readonly authorization: string;

  constructor(
    readonly settings: RmqSettings,
    password: string,
    private readonly log: RequestLogger = () => undefined,
  ) {
    this.authorization = `Basic ${Buffer.from(`${settings.user}:${password}`).toString('base64')}`;
  }

  /**
   * Sends one request to `/api${path}` (`path` built from encoded segments). Resolves for 2xx and
   * for 404 when `missingOk` (the caller reads `status`); throws for anything else.
   */
  async request(
    method: Method,
    path: string,
    body?: JsonValue,
    options: { missingOk?: boolean } = {},
  ): Promise<Response> {
    const text = body === undefined ? undefined : JSON.stringify(body);
    this.log(text === undefined ? { method, path } : { method, path, body: text });
    const what = `${method} /api${path}`;
    let response: globalThis.Response;
    let parsed: unknown;
    try {
      response = await fetch(`${this.settings.base}/api${path}`, {
        method,
        headers: {
          authorization: this.authorization,
          ...(text === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(text === undefined ? {} : { body: text }),
        redirect: 'error',
        signal: AbortSignal.timeout(this.settings.timeoutMs),
      });
      parsed = parseJson(await response.text());
    } catch (error) {
      throw networkError(what, error);
    }
    const ok =
      (response.status >= 200 && response.status < 300) || (response.status === 404 && options.missingOk);
    if (!ok) throw httpError(what, response.status, parsed);
    const date = Date.parse(response.headers.get('date') ?? '');
    return { status: response.status, body: parsed, date: Number.isNaN(date) ? undefined : date };
  }
}

function parseJson(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
