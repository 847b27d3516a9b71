/** A contract target: a fresh database and user name on the file's private server, behind a proxy. */
import crypto from 'node:crypto';
import mysql from 'mysql2/promise';
import type { ContractTarget } from '../../../src/connectors/kit/contract-kit.js';
import {
  MariadbConnector,
  tryLogin,
  type CrashPoint,
  type MariadbConnection,
} from '../../../src/connectors/mariadb/index.js';
import { fingerprintKeyFrom } from '../../../src/ledger/secrets.js';
import { FakeAuthority } from '../fake-authority.js';
import { startProxy } from '../postgres/tcp-proxy.js';
import type { MariadbServer } from './mariadb-server.js';

export interface MariadbTarget extends ContractTarget {
  readonly connector: MariadbConnector;
  readonly user: string;
  /** The application database (`kit_…`, which the admin may grant on). */
  readonly database: string;
  /** Direct (not proxied) settings, for logins in tests. */
  readonly direct: MariadbConnection;
  /** A direct connection as `user` (default: the managed account), with an 'error' listener. */
  connect(password: string, user?: string): Promise<mysql.Connection>;
  /** Every statement the connector sent. */
  readonly statements: string[];
  /** MariaDB holds one password per account: no rotation overlap. */
  readonly rotationOverlap: false;
  /** A fresh connector on the same target (a restarted process). */
  restart(options?: { crashAt?: CrashPoint }): MariadbConnector;
}

export async function makeMariadbTarget(
  server: MariadbServer,
  options: { crashAt?: CrashPoint } = {},
): Promise<MariadbTarget> {
  const suffix = crypto.randomBytes(4).toString('hex');
  const database = `kit_${suffix}`;
  const user = `svc_${suffix}`;
  await server.sql(`CREATE DATABASE ${database}`);
  const proxy = await startProxy(server.port);
  const authority = new FakeAuthority();
  const statements: string[] = [];
  const fingerprintKey = fingerprintKeyFrom(crypto.randomBytes(32));
  const connectors: MariadbConnector[] = [];
  const connect = (crashAt?: CrashPoint) => {
    const connector = new MariadbConnector({
      authority,
      fingerprintKey,
      resolveSecret: (ref) => {
        if (ref !== 'env:MARIADB_ADMIN') throw new Error(`unknown secret ${ref}`);
        return server.adminPassword;
      },
      now: () => new Date(),
      onStatement: (sql) => statements.push(sql),
      ...(crashAt === undefined
        ? {}
        : {
            crashPoint: (point: CrashPoint) => {
              if (point === crashAt) throw new Error(`simulated crash at ${point}`);
            },
          }),
    });
    connectors.push(connector);
    return connector;
  };
  const direct = {
    host: '127.0.0.1',
    port: server.port,
    user: 'custos_admin',
    password: 'env:MARIADB_ADMIN',
    accountHost: '%',
    sslmode: 'disable',
  } as const;
  const connectAs = async (password: string, as = user) => {
    const conn = await mysql.createConnection({ host: direct.host, port: direct.port, user: as, password });
    conn.on('error', () => undefined); // a killed session reports here: Node would crash otherwise
    return conn;
  };
  let cleaned = false;
  return {
    connect: connectAs,
    connector: connect(options.crashAt),
    restart: (o = {}) => connect(o.crashAt),
    user,
    database,
    direct,
    statements,
    rotationOverlap: false,
    system: {
      id: `sys-${suffix}`,
      type: 'mariadb',
      environment: 'test',
      connection: { ...direct, port: proxy.port },
    },
    identity: { id: `id-${suffix}`, kind: 'service_account', externalId: user },
    authority: (scope) => authority.mint(scope),
    login: async (secret) => (await tryLogin(direct, user, secret)).ok,
    advance: (seconds) => new Promise((resolve) => setTimeout(resolve, seconds * 1000)),
    openSession: async (secret) => {
      const conn = await connectAs(secret);
      return {
        alive: () =>
          conn.query('SELECT 1').then(
            () => true,
            () => false,
          ),
        close: () => conn.end().catch(() => undefined),
      };
    },
    makeUnavailable: () => proxy.close(),
    cleanup: async () => {
      if (cleaned) return;
      cleaned = true;
      await Promise.all(connectors.map((c) => c.close()));
      await proxy.close();
      await server.sql(`DROP USER IF EXISTS '${user}'@'%'`);
      await server.sql(`DROP DATABASE IF EXISTS ${database}`);
    },
  };
}
