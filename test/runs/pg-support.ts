/**
 * The run engine against a real PostgreSQL target: the connector tests' private server (SCRAM for
 * TCP logins, a superuser `custos_admin` whose password is resolved from `env:CUSTOS_PG_PASSWORD`),
 * with a `payments` database, reached through a link that can be cut and restored on the same port.
 * The example inventory's pg-prod is pointed at that link; everything else is createEngine's.
 */
import { openLink } from '../../src/cli/quickstart/tcp-link.js';
import crypto from 'node:crypto';
import type pg from 'pg';
import { generateApproverKey } from '../../src/approvals/index.js';
import {
  PostgresConnector,
  classifyLogin,
  scramVerifier,
  tryLogin,
  type LoginOutcome,
  type PgConnection,
} from '../../src/connectors/postgres/index.js';
import { managedComment } from '../../src/connectors/postgres/pg-role.js';
import type { ReconciliationInput, System } from '../../src/inventory/index.js';
import { fingerprintKeyFrom } from '../../src/ledger/secrets.js';
import type { Run } from '../../src/runs/index.js';
import type { PlainRequest } from '../../src/workflows/index.js';
import { startPgServer, type PgServer } from '../connectors/postgres/pg-server.js';
import type { StoreKind } from '../support/stores.js';
import { createEngine, sign, type EngineFixture } from './support.js';

export { forward } from './support.js';

export const DATABASE = 'payments';

/** A loopback forwarder to the server that can be cut (ECONNREFUSED) and restored on its port. */
export interface Link {
  readonly port: number;
  down(): Promise<void>;
  up(): Promise<void>;
}

export interface PgTarget {
  readonly server: PgServer;
  readonly link: Link;
  /** Direct settings (not through the link) for logins in tests. */
  readonly direct: PgConnection;
  /** Runs `sql` in `payments` as the trusted `postgres` superuser (behind Custos's back). */
  sql<T extends pg.QueryResultRow>(sql: string, values?: unknown[]): Promise<T[]>;
  /** A real login; `outcome` tells a wrong password from an expired one or NOLOGIN. */
  login(role: string, password: string): Promise<{ ok: boolean; sqlstate?: string; outcome: LoginOutcome }>;
  /** Drops every role Custos manages (roles are cluster-wide: tests must not see each other's). */
  dropManagedRoles(): Promise<void>;
  stop(): Promise<void>;
}

export async function startPgTarget(): Promise<PgTarget> {
  const server = await startPgServer();
  await server.superuser('postgres', `CREATE DATABASE ${DATABASE}`);
  await server.superuser(DATABASE, 'CREATE TABLE public.orders (id int)');
  const link = await startLink(server.port);
  const direct: PgConnection = {
    host: '127.0.0.1',
    port: server.port,
    database: DATABASE,
    user: 'custos_admin',
    password: 'env:CUSTOS_PG_PASSWORD',
    sslmode: 'disable',
  };
  const sql = <T extends pg.QueryResultRow>(text: string, values?: unknown[]) =>
    server.superuser<T>(DATABASE, text, values);
  return {
    server,
    link,
    direct,
    sql,
    login: async (role, password) => {
      const result = await tryLogin(direct, role, password);
      const [row] = await sql<{ v: string }>(
        `SELECT coalesce(to_json(rolvaliduntil)#>>'{}', 'infinity') AS v FROM pg_roles WHERE rolname = $1`,
        [role],
      );
      return { ...result, outcome: classifyLogin(result, row?.v, new Date()) };
    },
    dropManagedRoles: async () => {
      const roles = await sql<{ rolname: string }>(
        `SELECT rolname FROM pg_roles WHERE shobj_description(oid, 'pg_authid') LIKE 'custos:%'`,
      );
      for (const { rolname } of roles) {
        await sql('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1', [rolname]);
        await sql(`DROP OWNED BY "${rolname}"`);
        await sql(`DROP ROLE "${rolname}"`);
      }
    },
    stop: async () => {
      await link.down();
      await server.stop();
    },
  };
}

/** The target behind a TCP link the test can cut and restore (the quickstart's own link). */
async function startLink(targetPort: number): Promise<Link> {
  const tcp = await openLink('127.0.0.1', targetPort);
  return { port: tcp.port, down: () => tcp.cut(), up: () => tcp.restore() };
}

export interface LedgerEntry {
  readonly type: string;
  readonly actor: { readonly kind: string; readonly id: string };
  readonly subject?: { readonly kind: string; readonly id: string };
  readonly payload: Record<string, unknown>;
}

export interface JournalEntry {
  readonly run_id: string;
  readonly step_id: string;
  readonly action: string;
  readonly role_name: string;
  readonly rolled_back_at: Date | null;
}

export interface PgEngineFixture extends EngineFixture {
  readonly pg: PgTarget;
  /** Every statement the connector sent to the target. */
  readonly statements: readonly string[];
  /** The run's ledger records, in order. */
  records(runId: string): Promise<LedgerEntry[]>;
  /** Every ledger record, as stored text (to look for leaked secrets). */
  ledgerText(): Promise<string>;
  /** The target's own idempotency journal (custos.applied_steps) for a run. */
  applied(runId: string): Promise<JournalEntry[]>;
  /** Records a clean reconciliation of pg-prod now, unless told otherwise. */
  reconcile(input?: Partial<ReconciliationInput>): Promise<System>;
  /** Files a request as its principal. */
  file(request: PlainRequest, key: string): Promise<Run>;
  /** Registers a fresh key for `principal` and counts its signed approval of the run. */
  approveAs(principal: string, run: Run): Promise<Run>;
  /** A role Custos created earlier for an inventory identity of pg-prod, with a known password. */
  seedRole(identityId: string): Promise<{ role: string; password: string }>;
}

export async function createPgEngine(
  kind: StoreKind,
  target: PgTarget,
  options: {
    readonly now?: () => Date;
    /** More `env:` secrets the connector may resolve (the admin password of another server). */
    readonly secrets?: Readonly<Record<string, string>>;
  } = {},
): Promise<PgEngineFixture> {
  const statements: string[] = [];
  let postgres: PostgresConnector | undefined;
  const { secrets, ...engineOptions } = options;
  const env: Readonly<Record<string, string>> = {
    ...secrets,
    CUSTOS_PG_PASSWORD: target.server.adminPassword,
  };
  const base = await createEngine(kind, {
    ...engineOptions,
    connectors: ({ authority, now }) => {
      postgres = new PostgresConnector({
        authority,
        fingerprintKey: fingerprintKeyFrom(crypto.randomBytes(32)),
        resolveSecret: (ref) => {
          const value = /^env:(\w+)$/.exec(ref)?.[1];
          if (value === undefined || env[value] === undefined) throw new Error(`no secret for ${ref}`);
          return env[value];
        },
        now,
        onStatement: (sql) => statements.push(sql),
      });
      return new Map([['postgres', postgres]]);
    },
  });
  const { inventory } = base.ti;
  const prod = (await inventory.getSystem('pg-prod'))!;
  await inventory.updateSystem(
    'pg-prod',
    { connection: { ...prod.connection, host: '127.0.0.1', port: target.link.port, sslmode: 'disable' } },
    { actor: 'person:alice' },
  );
  const store = base.ti.t.store;
  const decoded = async () =>
    (await store.read.query<{ data: Uint8Array }>('SELECT data FROM ledger_records ORDER BY idx')).map((r) =>
      Buffer.from(r.data).toString('utf8'),
    );
  return {
    ...base,
    pg: target,
    statements,
    records: async (runId) =>
      (await decoded())
        .map((text) => JSON.parse(text) as LedgerEntry & { correlationId: string })
        .filter((r) => r.correlationId === runId),
    ledgerText: async () => (await decoded()).join('\n'),
    applied: async (runId) => {
      const [journal] = await target.sql<{ exists: boolean }>(
        `SELECT to_regclass('custos.applied_steps') IS NOT NULL AS exists`,
      );
      if (journal?.exists !== true) return [];
      return target.sql<JournalEntry>(
        'SELECT run_id, step_id, action, role_name, rolled_back_at FROM custos.applied_steps WHERE run_id = $1',
        [runId],
      );
    },
    reconcile: (input = {}) =>
      inventory.recordReconciliation('pg-prod', {
        at: new Date(),
        openCriticalFindings: 0,
        actor: 'service:ci-pipeline',
        ...input,
      }),
    file: (request, key) =>
      base.engine.file({ request, requester: request.principal, justification: 'test', idempotencyKey: key }),
    approveAs: async (principal, run) => {
      const key = generateApproverKey(principal);
      await base.engine.registerApproverKey(principal, key.publicKey);
      const signed = sign(key, run, 'approve', 'reviewed');
      return base.engine.approve(run.id, signed);
    },
    seedRole: async (identityId) => {
      const identity = (await inventory.getIdentity(identityId))!;
      const role = identity.externalId;
      const password = crypto.randomBytes(18).toString('base64url');
      await target.sql(`CREATE ROLE "${role}" LOGIN PASSWORD '${scramVerifier(password)}'`);
      const comment = managedComment('pg-prod', identityId).replaceAll("'", "''");
      await target.sql(`COMMENT ON ROLE "${role}" IS '${comment}'`);
      return { role, password };
    },
    close: async () => {
      await base.close();
      await postgres?.close();
      await target.dropManagedRoles();
    },
  };
}
