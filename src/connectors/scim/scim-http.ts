/**
 * The HTTP client of one SCIM service (RFC 7644 over `fetch`): bearer token, SCIM media type, a
 * timeout on every request, no redirects followed (a redirect could carry the token or a password
 * elsewhere, or downgrade to http), and a bounded retry of 429 and 503 — the answers with which a
 * service says it did not process the request — that respects Retry-After up to a cap, beyond
 * which the error is returned at once (retryable, with the delay the service asked for).
 *
 * Every request is reported to an optional logger with its passwords replaced, so the log of what
 * was sent can be kept and audited; the passwords themselves travel only in the request body.
 */
import type { JsonValue } from '../../core/canonical-json.js';
import { httpError, networkError, retryAfterOf, type FailureContext } from './scim-errors.js';
import type { ScimConnection } from './scim-connection.js';

export interface RequestLogEntry {
  readonly method: string;
  readonly url: string;
  /** The body as sent, with every password replaced by `<redacted>`. */
  readonly body?: JsonValue;
}

export type RequestLogger = (entry: RequestLogEntry) => void;

export interface ScimRequest {
  readonly method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /** Relative to the base URL: `/Users`, `/Users/<encoded id>`. */
  readonly path: string;
  readonly query?: Readonly<Record<string, string>>;
  readonly body?: JsonValue;
  readonly ifMatch?: string;
  /** Statuses handed back instead of thrown (404 for lookups, 412 for If-Match conflicts). */
  readonly accept?: readonly number[];
  /** Secrets in this request, cut out of any error text. */
  readonly redact?: readonly string[];
}

export interface ScimResponse {
  readonly status: number;
  readonly body: unknown;
  readonly etag: string | null;
}

export interface ClientOptions {
  readonly log?: RequestLogger;
  /** The longest Retry-After honoured by waiting (ms); longer ones fail at once, retryable. */
  readonly maxRetryWaitMs: number;
  readonly now: () => Date;
}

const MAX_RETRIES = 2;
const MEDIA = 'application/scim+json';

export class ScimClient {
  constructor(
    readonly connection: ScimConnection,
    private readonly token: string,
    private readonly options: ClientOptions,
  ) {}

  async send(req: ScimRequest): Promise<ScimResponse> {
    const url = this.url(req);
    const ctx: FailureContext = { what: `${req.method} ${pattern(req.path)}`, redact: req.redact ?? [] };
    const headers: Record<string, string> = {
      Authorization: `Bearer ${this.token}`,
      Accept: `${MEDIA}, application/json;q=0.9`,
    };
    if (req.body !== undefined) headers['Content-Type'] = MEDIA;
    if (req.ifMatch !== undefined) headers['If-Match'] = req.ifMatch;
    for (let attempt = 0; ; attempt++) {
      this.options.log?.({ method: req.method, url, ...logged(req.body) });
      let response: Response;
      let body: unknown;
      try {
        response = await fetch(url, {
          method: req.method,
          headers,
          redirect: 'manual',
          signal: AbortSignal.timeout(this.connection.timeoutMs),
          ...(req.body === undefined ? {} : { body: JSON.stringify(req.body) }),
        });
        body = parseBody(await response.text());
      } catch (error) {
        throw networkError(error, ctx);
      }
      if (response.ok || (req.accept ?? []).includes(response.status)) {
        return { status: response.status, body, etag: response.headers.get('etag') };
      }
      const retryAfter = retryAfterOf(response.headers.get('retry-after'), this.options.now());
      const wait = this.waitBeforeRetry(response.status, retryAfter, attempt);
      if (wait === undefined) throw httpError(response.status, body, ctx, retryAfter);
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }

  private waitBeforeRetry(status: number, retryAfter: number | null, attempt: number): number | undefined {
    if ((status !== 429 && status !== 503) || attempt >= MAX_RETRIES) return undefined;
    const ms = retryAfter === null ? 200 * 2 ** attempt : retryAfter * 1000;
    return ms <= this.options.maxRetryWaitMs ? ms : undefined;
  }

  private url(req: ScimRequest): string {
    const query = new URLSearchParams(req.query ?? {}).toString();
    return `${this.connection.baseUrl}${req.path}${query === '' ? '' : `?${query}`}`;
  }
}

/** `/Users/<id>` for an id the service assigned (checked by assertResourceId first). */
export function resourcePath(endpoint: '/Users' | '/Groups', id: string): string {
  return `${endpoint}/${encodeURIComponent(id)}`;
}

/** Error messages name the endpoint, not the id. */
function pattern(path: string): string {
  return path.replace(/^\/(Users|Groups)\/[^/]+/, '/$1/{id}');
}

function parseBody(text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function logged(body: JsonValue | undefined): { body?: JsonValue } {
  return body === undefined ? {} : { body: redactPasswords(body) };
}

/** A copy with every `password` attribute and every PATCH operation on `password` redacted. */
export function redactPasswords(value: JsonValue): JsonValue {
  if (Array.isArray(value)) return (value as readonly JsonValue[]).map(redactPasswords);
  if (value === null || typeof value !== 'object') return value;
  const object = value as { readonly [k: string]: JsonValue };
  const passwordOp = typeof object['path'] === 'string' && /^password$/i.test(object['path']);
  const out: Record<string, JsonValue> = {};
  for (const [k, v] of Object.entries(object)) {
    out[k] = /^password$/i.test(k) || (passwordOp && k === 'value') ? '<redacted>' : redactPasswords(v);
  }
  return out;
}
