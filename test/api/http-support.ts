/**
 * The API server in-process on a free port over a fresh installation, API tokens for the people of
 * the example inventory (some scoped to a single role), and a small fetch helper. Access logs are
 * captured, so tests can check what is (and is not) logged.
 */
import crypto from 'node:crypto';
import type { AccessLogEntry, ApiServer, ApiServerOptions } from '../../src/api/index.js';
import { startApiServer } from '../../src/api/index.js';
import type { Role } from '../../src/inventory/index.js';
import { bootstrapAdminToken } from '../../src/service/index.js';
import type { StoreKind } from '../support/stores.js';
import { createInstallation, type Installation } from './support.js';

export const ROLE_NAMES = ['requester', 'approver', 'owner', 'auditor', 'admin'] as const;

/** Who holds each single-role token: a principal with that role, its token scoped to it alone. */
export const ROLE_HOLDERS: Readonly<Record<Role, string>> = {
  requester: 'person:eve',
  approver: 'person:alice',
  owner: 'person:carol',
  auditor: 'person:sara',
  admin: 'person:alice',
};

export interface Answer {
  readonly status: number;
  readonly headers: Headers;
  readonly json: Record<string, unknown>;
  readonly text: string;
}

export interface RequestOptions {
  readonly token?: string;
  readonly body?: unknown;
  /** Idempotency-Key: a fresh one for writes unless given; null sends none. */
  readonly key?: string | null;
  readonly headers?: Record<string, string>;
  readonly raw?: string | Buffer;
}

export interface ApiFixture extends Installation {
  readonly server: ApiServer;
  readonly url: string;
  /** Single-role tokens, by role. */
  readonly roles: Readonly<Record<Role, string>>;
  /** Full tokens by principal (every role it holds). */
  token(principal: string): Promise<string>;
  readonly logs: AccessLogEntry[];
  request(method: string, path: string, options?: RequestOptions): Promise<Answer>;
}

export async function createApiFixture(
  kind: StoreKind,
  options: Partial<Omit<ApiServerOptions, 'custos'>> = {},
): Promise<ApiFixture> {
  const app = await createInstallation(kind);
  const logs: AccessLogEntry[] = [];
  const server = await startApiServer({
    custos: app.custos,
    rateLimit: { burst: 10_000, perSecond: 10_000 },
    log: (e) => logs.push(e),
    ...options,
  });
  const admin = (await bootstrapAdminToken(app.custos, { principal: 'person:alice', name: 'test' })).token;
  const issue = async (principal: string, scopes?: Role[]) =>
    (
      await app.service.issueApiToken(
        { principal: 'person:alice' },
        { principal, name: 'test', ...(scopes === undefined ? {} : { scopes }) },
      )
    ).token;
  const roles = {} as Record<Role, string>;
  for (const role of ROLE_NAMES) roles[role] = await issue(ROLE_HOLDERS[role], [role]);
  const full = new Map<string, string>([['person:alice', admin]]);
  const request = async (method: string, path: string, o: RequestOptions = {}): Promise<Answer> => {
    const headers: Record<string, string> = { ...o.headers };
    if (o.token !== undefined) headers['authorization'] = `Bearer ${o.token}`;
    const writes = method !== 'GET';
    if (writes && o.key !== null) headers['idempotency-key'] = o.key ?? crypto.randomUUID();
    let body: string | Buffer | undefined = o.raw;
    if (o.body !== undefined) {
      body = JSON.stringify(o.body);
      headers['content-type'] ??= 'application/json';
    }
    const res = await fetch(`${server.url}${path}`, {
      method,
      headers,
      ...(body === undefined ? {} : { body }),
    });
    const text = await res.text();
    let json: Record<string, unknown> = {};
    try {
      json = JSON.parse(text) as Record<string, unknown>;
    } catch {
      // not JSON (metrics)
    }
    return { status: res.status, headers: res.headers, json, text };
  };
  return {
    ...app,
    server,
    url: server.url,
    roles,
    logs,
    request,
    token: async (principal) => {
      let t = full.get(principal);
      if (t === undefined) {
        t = await issue(principal);
        full.set(principal, t);
      }
      return t;
    },
    close: async () => {
      await server.close();
      await app.close();
    },
  };
}
