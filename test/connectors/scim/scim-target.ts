/**
 * A contract target: a fresh system id, identity and userName on the file's SCIM peer, reached
 * through a TCP proxy of its own (closing it makes the service unreachable). Logins in tests go to
 * the peer's password check directly; the connector reaches it through the proxy (`loginUrl`).
 */
import crypto from 'node:crypto';
import type { JsonValue } from '../../../src/core/canonical-json.js';
import type { ContractTarget } from '../../../src/connectors/kit/contract-kit.js';
import { ScimConnector, type RequestLogEntry } from '../../../src/connectors/scim/index.js';
import { fingerprintKeyFrom } from '../../../src/ledger/secrets.js';
import { FakeAuthority } from '../fake-authority.js';
import { startProxy } from '../postgres/tcp-proxy.js';
import type { ScimServer } from './scim-server.js';

export interface ScimTarget extends ContractTarget {
  readonly connector: ScimConnector;
  readonly userName: string;
  /** What the connector reported sending (passwords redacted). */
  readonly requests: RequestLogEntry[];
  /** SCIM holds one password per user: no rotation overlap. */
  readonly rotationOverlap: false;
  /**
   * Proposed kit capability (see the report): SCIM passwords are write-only and accept no hash, so
   * a replaced password cannot be restored and the rollback of a rotation is refused.
   */
  readonly credentialRollback: false;
  /** A second connector on the same system, as after a crash and restart. */
  fresh(): ScimConnector;
  /** The user as the peer holds it, read with the admin token (undefined when absent). */
  peerUser(): Promise<Record<string, unknown> | undefined>;
}

export interface TargetOptions {
  readonly userName?: string;
  readonly connection?: Record<string, JsonValue>;
  readonly maxRetryWaitSeconds?: number;
}

export async function makeScimTarget(server: ScimServer, options: TargetOptions = {}): Promise<ScimTarget> {
  const suffix = crypto.randomBytes(4).toString('hex');
  const userName = options.userName ?? `svc-${suffix}@example.test`;
  const proxy = await startProxy(server.port);
  const authority = new FakeAuthority();
  const requests: RequestLogEntry[] = [];
  const fingerprintKey = fingerprintKeyFrom(crypto.randomBytes(32));
  const make = () =>
    new ScimConnector({
      authority,
      fingerprintKey,
      resolveSecret: (ref) => {
        if (ref !== 'env:SCIM_TOKEN') throw new Error(`unknown secret ${ref}`);
        return server.token;
      },
      now: () => new Date(),
      onRequest: (entry) => requests.push(entry),
      ...(options.maxRetryWaitSeconds === undefined
        ? {}
        : { maxRetryWaitSeconds: options.maxRetryWaitSeconds }),
    });
  const connector = make();
  const others: ScimConnector[] = [];
  const base = `http://127.0.0.1:${proxy.port}`;
  const peerUser = async () => {
    const filter = encodeURIComponent(`userName eq "${userName}"`);
    const { body } = await server.scim('GET', `/Users?filter=${filter}`);
    return (body as { Resources?: Record<string, unknown>[] }).Resources?.[0];
  };
  let cleaned = false;
  return {
    connector,
    userName,
    requests,
    rotationOverlap: false,
    credentialRollback: false,
    system: {
      id: `scim-${suffix}`,
      type: 'scim',
      environment: 'test',
      connection: {
        baseUrl: `${base}/scim`,
        token: 'env:SCIM_TOKEN',
        allowInsecureHttp: true,
        loginUrl: `${base}/login`,
        ...options.connection,
      },
    },
    identity: { id: `id-${suffix}`, kind: 'service_account', externalId: userName },
    authority: (scope) => authority.mint(scope),
    login: async (secret) => {
      const res = await fetch(`${server.origin}/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ userName, password: secret }),
      });
      return res.status === 200;
    },
    advance: (seconds) => new Promise((resolve) => setTimeout(resolve, seconds * 1000)),
    makeUnavailable: () => proxy.close(),
    fresh: () => {
      const c = make();
      others.push(c);
      return c;
    },
    peerUser,
    cleanup: async () => {
      if (cleaned) return;
      cleaned = true;
      await Promise.all([connector, ...others].map((c) => c.close()));
      await proxy.close();
      const user = await peerUser();
      if (typeof user?.['id'] === 'string') await server.scim('DELETE', `/Users/${user['id']}`);
    },
  };
}
