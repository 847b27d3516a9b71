/**
 * HttpClient: CustosApi over HTTP (`custos --server URL`, the token from CUSTOS_TOKEN), so the CLI
 * runs the same code against a local store or a server. Each call goes to its operation's route;
 * every write sends a fresh Idempotency-Key (a request's own key for fileRequest, so both layers
 * dedupe together). A problem+json answer becomes the CustosError it was on the server — same code,
 * details and retryable; an import's or a bundle's problems come back as InventoryInputError or
 * BundleInvalidError. Answers are checked against their operation's output schema.
 * The caller argument is not sent: the server knows the caller from the token.
 */
import crypto from 'node:crypto';
import { CustosError, ERROR_CODES, type ErrorCode } from '../core/errors.js';
import { InventoryInputError, type Problem as ImportProblem } from '../inventory/index.js';
import { BundleInvalidError, type Problem as BundleProblem } from '../policy/index.js';
import { OPERATIONS, type Caller, type InputOf, type OperationName, type Outputs } from '../service/index.js';
import { ApiMethods } from '../service/api-methods.js';
import { ROUTE_OF, pathParams } from './routes.js';

export interface HttpClientOptions {
  /** e.g. `http://127.0.0.1:8080` */
  readonly baseUrl: string;
  /** An API token (`cst_…`). */
  readonly token?: string;
  readonly fetch?: typeof fetch;
  /** Default 60 s. */
  readonly timeoutMs?: number;
}

export class HttpClient extends ApiMethods {
  private readonly base: string;

  constructor(private readonly options: HttpClientOptions) {
    super();
    this.base = options.baseUrl.replace(/\/+$/, '');
  }

  async call<K extends OperationName>(name: K, _caller: Caller, input: InputOf<K>): Promise<Outputs[K]> {
    const route = ROUTE_OF[name];
    const all = input as Record<string, unknown>;
    const params = pathParams(route.path);
    let path = route.path;
    for (const param of params) {
      const value = all[param];
      if (typeof value !== 'string') throw new TypeError(`${name}: ${param} is a string`);
      path = path.replace(`{${param}}`, encodeURIComponent(value));
    }
    const fields = Object.fromEntries(Object.entries(all).filter(([k]) => !params.includes(k)));
    const headers: Record<string, string> = { accept: 'application/json, application/problem+json' };
    if (this.options.token !== undefined) headers['authorization'] = `Bearer ${this.options.token}`;
    let body: string | undefined;
    if (route.method === 'GET') {
      const query = new URLSearchParams();
      for (const [k, v] of Object.entries(fields)) {
        if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') query.set(k, String(v));
      }
      const text = query.toString();
      if (text !== '') path += `?${text}`;
    } else {
      body = JSON.stringify(fields);
      headers['content-type'] = 'application/json';
    }
    if (OPERATIONS[name].writes) {
      const own = name === 'fileRequest' ? fields['idempotencyKey'] : undefined;
      headers['idempotency-key'] = typeof own === 'string' ? own : crypto.randomUUID();
    }
    const response = await this.send(`${this.base}${path}`, {
      method: route.method,
      headers,
      ...(body === undefined ? {} : { body }),
    });
    const json: unknown = await response.json().catch(() => undefined);
    if (!response.ok) throw fromProblem(json, response.status);
    if (!OPERATIONS[name].output.safeParse(json).success) {
      throw new CustosError('INTERNAL_ERROR', `the server's answer to ${name} does not match its schema`);
    }
    return json as Outputs[K];
  }

  private async send(url: string, init: RequestInit): Promise<Response> {
    const doFetch = this.options.fetch ?? fetch;
    try {
      return await doFetch(url, { ...init, signal: AbortSignal.timeout(this.options.timeoutMs ?? 60_000) });
    } catch (cause) {
      throw new CustosError(
        'SERVER_UNAVAILABLE',
        `cannot reach the Custos server at ${new URL(url).origin}`,
        {
          cause,
          retryable: true,
        },
      );
    }
  }
}

/** The server's problem+json as the CustosError it was (attacker-controlled if the server is not ours). */
export function fromProblem(body: unknown, status: number): CustosError {
  const p = (body ?? {}) as Record<string, unknown>;
  const code =
    typeof p['code'] === 'string' && (ERROR_CODES as readonly string[]).includes(p['code'])
      ? (p['code'] as ErrorCode)
      : undefined;
  const detail = typeof p['detail'] === 'string' ? p['detail'] : `HTTP ${status}`;
  if (code === undefined)
    return new CustosError('INTERNAL_ERROR', `the server answered HTTP ${status} without a known code`);
  const problems = Array.isArray(p['problems']) ? (p['problems'] as unknown[]) : undefined;
  if (code === 'IMPORT_INVALID' && problems !== undefined)
    return new InventoryInputError(problems as ImportProblem[]);
  if (code === 'BUNDLE_INVALID' && problems !== undefined)
    return new BundleInvalidError(problems as BundleProblem[]);
  return new CustosError(code, detail, {
    details: flatDetails(p['details']),
    retryable: p['retryable'] === true,
  });
}

function flatDetails(value: unknown): Record<string, string | number | boolean | null> {
  if (value === null || typeof value !== 'object') return {};
  const out: Record<string, string | number | boolean | null> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') out[k] = v;
  }
  return out;
}
