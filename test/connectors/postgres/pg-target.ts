/** A contract target: a fresh database and role name on the file's private server, behind a proxy. */
import crypto from 'node:crypto';
import pg from 'pg';
import type { ContractTarget } from '../../../src/connectors/kit/contract-kit.js';
import { PostgresConnector, tryLogin, type PgConnection } from '../../../src/connectors/postgres/index.js';
import { fingerprintKeyFrom } from '../../../src/ledger/secrets.js';
import { FakeAuthority } from '../fake-authority.js';
import type { PgServer } from './pg-server.js';
import { startProxy } from './tcp-proxy.js';

export interface PgTarget extends ContractTarget {
  readonly connector: PostgresConnector;
  readonly role: string;
  readonly database: string;
  /** Direct (not proxied) settings, for logins in tests. */
  readonly direct: PgConnection;
  /** Every statement the connector sent. */
  readonly statements: string[];
  /** Capability of the target: PostgreSQL holds one password per role, so no rotation overlap. */
  readonly rotationOverlap: false;
}

export async function makePgTarget(server: PgServer): Promise<PgTarget> {
  const suffix = crypto.randomBytes(4).toString('hex');
  const database = `kit_${suffix}`;
  const role = `svc_${suffix}`;
  await server.superuser('postgres', `CREATE DATABASE ${database}`);
  const proxy = await startProxy(server.port);
  const authority = new FakeAuthority();
  const statements: string[] = [];
  const connector = new PostgresConnector({
    authority,
    fingerprintKey: fingerprintKeyFrom(crypto.randomBytes(32)),
    resolveSecret: (ref) => {
      if (ref !== 'env:PG_ADMIN') throw new Error(`unknown secret ${ref}`);
      return server.adminPassword;
    },
    now: () => new Date(),
    onStatement: (sql) => statements.push(sql),
  });
  const direct = {
    host: '127.0.0.1',
    port: server.port,
    database,
    user: 'custos_admin',
    password: 'env:PG_ADMIN',
    sslmode: 'disable',
  } as const;
  let cleaned = false;
  return {
    connector,
    role,
    database,
    direct,
    statements,
    rotationOverlap: false,
    system: {
      id: `sys-${suffix}`,
      type: 'postgres',
      environment: 'test',
      connection: { ...direct, port: proxy.port },
    },
    identity: { id: `id-${suffix}`, kind: 'service_account', externalId: role },
    authority: (scope) => authority.mint(scope),
    login: async (secret) => (await tryLogin(direct, role, secret)).ok,
    openSession: async (secret) => {
      const client = new pg.Client({ ...direct, user: role, password: secret, ssl: false });
      client.on('error', () => undefined);
      await client.connect();
      return {
        alive: () =>
          client.query('SELECT 1').then(
            () => true,
            () => false,
          ),
        close: () => client.end().catch(() => undefined),
      };
    },
    advance: (seconds) => new Promise((resolve) => setTimeout(resolve, seconds * 1000)),
    makeUnavailable: () => proxy.close(),
    cleanup: async () => {
      if (cleaned) return;
      cleaned = true;
      await connector.close();
      await proxy.close();
      const exists = await server.superuser(database, 'SELECT 1 FROM pg_roles WHERE rolname = $1', [role]);
      if (exists.length > 0) await server.superuser(database, `DROP OWNED BY ${role}; DROP ROLE ${role}`);
      await server.superuser('postgres', `DROP DATABASE ${database} WITH (FORCE)`);
    },
  };
}
