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
import {
  OPERATIONS,
  type Caller,
  type CustosApi,
  type InputOf,
  type OperationName,
  type Outputs,
} from '../service/index.js';
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

export class HttpClient implements CustosApi {
  private readonly base: string;

  constructor(private readonly options: HttpClientOptions) {
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

  whoami = (c: Caller, i: InputOf<'whoami'>) => this.call('whoami', c, i);
  listSystems = (c: Caller, i: InputOf<'listSystems'>) => this.call('listSystems', c, i);
  getSystem = (c: Caller, i: InputOf<'getSystem'>) => this.call('getSystem', c, i);
  upsertSystem = (c: Caller, i: InputOf<'upsertSystem'>) => this.call('upsertSystem', c, i);
  listIdentities = (c: Caller, i: InputOf<'listIdentities'>) => this.call('listIdentities', c, i);
  getIdentity = (c: Caller, i: InputOf<'getIdentity'>) => this.call('getIdentity', c, i);
  upsertIdentity = (c: Caller, i: InputOf<'upsertIdentity'>) => this.call('upsertIdentity', c, i);
  listPrincipals = (c: Caller, i: InputOf<'listPrincipals'>) => this.call('listPrincipals', c, i);
  getPrincipal = (c: Caller, i: InputOf<'getPrincipal'>) => this.call('getPrincipal', c, i);
  upsertPrincipal = (c: Caller, i: InputOf<'upsertPrincipal'>) => this.call('upsertPrincipal', c, i);
  importInventory = (c: Caller, i: InputOf<'importInventory'>) => this.call('importInventory', c, i);
  registerKey = (c: Caller, i: InputOf<'registerKey'>) => this.call('registerKey', c, i);
  listBundles = (c: Caller, i: InputOf<'listBundles'>) => this.call('listBundles', c, i);
  getBundle = (c: Caller, i: InputOf<'getBundle'>) => this.call('getBundle', c, i);
  deployBundle = (c: Caller, i: InputOf<'deployBundle'>) => this.call('deployBundle', c, i);
  approveBundle = (c: Caller, i: InputOf<'approveBundle'>) => this.call('approveBundle', c, i);
  rejectBundle = (c: Caller, i: InputOf<'rejectBundle'>) => this.call('rejectBundle', c, i);
  fileRequest = (c: Caller, i: InputOf<'fileRequest'>) => this.call('fileRequest', c, i);
  listRuns = (c: Caller, i: InputOf<'listRuns'>) => this.call('listRuns', c, i);
  getRun = (c: Caller, i: InputOf<'getRun'>) => this.call('getRun', c, i);
  approveRun = (c: Caller, i: InputOf<'approveRun'>) => this.call('approveRun', c, i);
  denyRun = (c: Caller, i: InputOf<'denyRun'>) => this.call('denyRun', c, i);
  advanceRun = (c: Caller, i: InputOf<'advanceRun'>) => this.call('advanceRun', c, i);
  resumeRun = (c: Caller, i: InputOf<'resumeRun'>) => this.call('resumeRun', c, i);
  rollbackRun = (c: Caller, i: InputOf<'rollbackRun'>) => this.call('rollbackRun', c, i);
  abortRun = (c: Caller, i: InputOf<'abortRun'>) => this.call('abortRun', c, i);
  listGrants = (c: Caller, i: InputOf<'listGrants'>) => this.call('listGrants', c, i);
  getGrant = (c: Caller, i: InputOf<'getGrant'>) => this.call('getGrant', c, i);
  reviewBreakGlass = (c: Caller, i: InputOf<'reviewBreakGlass'>) => this.call('reviewBreakGlass', c, i);
  listAlerts = (c: Caller, i: InputOf<'listAlerts'>) => this.call('listAlerts', c, i);
  ledgerHead = (c: Caller, i: InputOf<'ledgerHead'>) => this.call('ledgerHead', c, i);
  signCheckpoint = (c: Caller, i: InputOf<'signCheckpoint'>) => this.call('signCheckpoint', c, i);
  inclusionProof = (c: Caller, i: InputOf<'inclusionProof'>) => this.call('inclusionProof', c, i);
  consistencyProof = (c: Caller, i: InputOf<'consistencyProof'>) => this.call('consistencyProof', c, i);
  exportLedger = (c: Caller, i: InputOf<'exportLedger'>) => this.call('exportLedger', c, i);
  verifyLedger = (c: Caller, i: InputOf<'verifyLedger'>) => this.call('verifyLedger', c, i);
  verifyToken = (c: Caller, i: InputOf<'verifyToken'>) => this.call('verifyToken', c, i);
  jwks = (c: Caller, i: InputOf<'jwks'>) => this.call('jwks', c, i);
  issueApiToken = (c: Caller, i: InputOf<'issueApiToken'>) => this.call('issueApiToken', c, i);
  listApiTokens = (c: Caller, i: InputOf<'listApiTokens'>) => this.call('listApiTokens', c, i);
  revokeApiToken = (c: Caller, i: InputOf<'revokeApiToken'>) => this.call('revokeApiToken', c, i);
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
