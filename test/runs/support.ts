/** A run engine on a fresh store: the example inventory, the example bundle deployed, the tokens target. */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import {
  authorityJwks,
  createAuthorityIssuer,
  createAuthorityVerifier,
  generateAuthorityKey,
  type AuthorityIssuer,
  type AuthorityVerifier,
} from '../../src/authority/index.js';
import type { Connector } from '../../src/connectors/contract.js';
import { TokensConnector, generateTokenSigningKey } from '../../src/connectors/tokens/index.js';
import { importInventory } from '../../src/inventory/index.js';
import { fingerprintKeyFrom } from '../../src/ledger/secrets.js';
import { loadBundle } from '../../src/policy/index.js';
import { generateApproverKey, signApproval } from '../../src/approvals/index.js';
import { RunEngine, type Run } from '../../src/runs/index.js';
import { openStore, type Store } from '../../src/store/index.js';
import { BundleRegistry } from '../../src/workflows/index.js';
import { createTestInventory, type TestInventory } from '../inventory/support.js';
import type { StoreKind } from '../support/stores.js';

const EXAMPLES = path.resolve(import.meta.dirname, '../../examples');

/** A low-risk token the CI pipeline may have at once: the example bundle's automatic route. */
export const CI_TOKEN = {
  principal: 'service:ci-pipeline',
  action: 'create',
  resource: { new: { name: 'payments-deploy', kind: 'token', system: 'tokens', tags: ['service:payments'] } },
  context: { durationMinutes: 60, justification: 'deploy payments' },
} as const;

/** The records of CI_TOKEN's run, in order: filed, decided automatically, executed, verified, written back. */
export const CI_TOKEN_RECORDS = [
  'run.requested',
  'run.decided_auto',
  'run.execution_started',
  'run.step_started',
  'run.step_applied',
  'run.applied',
  'run.verified',
  'inventory.identity_created',
];

/** A key an engineer asks for: medium risk, one approval from group:platform. */
export const ENGINEER_KEY = {
  principal: 'person:eve',
  action: 'create',
  resource: { new: { name: 'eve-metrics-key', kind: 'api_key', system: 'tokens' } },
  context: { durationMinutes: 10080, justification: 'metrics exporter' },
} as const;

export interface EngineFixture {
  readonly ti: TestInventory;
  readonly engine: RunEngine;
  /** The engine's authority issuer (what a connector given `authority` verifies). */
  readonly issuer: AuthorityIssuer;
  readonly tokens: TokensConnector;
  readonly target: Store;
  /** Wrap the connector of a system type (default `tokens`), e.g. to make it fail. */
  wrap(fn: (real: Connector) => Connector, type?: string): void;
  /** A new engine on the same store and targets, as after a restart: nothing kept in memory. */
  restart(): RunEngine;
  close(): Promise<void>;
}

export interface EngineOptions {
  /** The clock every part uses (timers, authority, tokens); defaults to the real one. */
  readonly now?: () => Date;
  /** Each engine's executor lease (run-claims.ts). */
  readonly leaseSeconds?: number;
  /** More connectors by system type, built with the fixture's authority verifier and clock. */
  readonly connectors?: (ctx: {
    readonly authority: AuthorityVerifier;
    readonly now: () => Date;
  }) => ReadonlyMap<string, Connector>;
}

export async function createEngine(kind: StoreKind, options: EngineOptions = {}): Promise<EngineFixture> {
  const ti = await createTestInventory(kind);
  const text = fs.readFileSync(path.join(EXAMPLES, 'inventory.yaml'), 'utf8');
  await importInventory(ti.inventory, { file: 'inventory.yaml', text }, { actor: 'person:alice' });
  const bundles = new BundleRegistry({
    ledger: ti.t.ledger,
    principals: (id) => ti.inventory.getPrincipal(id),
  });
  const bundle = loadBundle(path.join(EXAMPLES, 'bundle'));
  await bundles.file(bundle, 'person:pat');
  await bundles.decide(bundle.hash, 'person:paula', 'approve');

  const now = options.now ?? (() => new Date());
  const key = await generateAuthorityKey();
  const issuer = createAuthorityIssuer({ privateKey: key.privateJwk, kid: key.kid, issuer: 'custos', now });
  const verifier = createAuthorityVerifier({ publicKeys: authorityJwks([key]), issuer: 'custos', now });
  // The token issuer keeps its own state in its own store (it is a target system).
  const target = await openStore(await kind.fresh());
  const tokens = new TokensConnector({
    conn: target.write,
    authority: verifier,
    fingerprintKey: fingerprintKeyFrom(crypto.randomBytes(32)),
    signingKey: await generateTokenSigningKey(),
    now,
  });
  const built = new Map<string, Connector>([
    ['tokens', tokens],
    ...(options.connectors?.({ authority: verifier, now }) ?? []),
  ]);
  const connectors = new Map(built);
  const engineDeps = {
    ledger: ti.t.ledger,
    inventory: ti.inventory,
    bundles,
    connectors,
    authority: issuer,
    now,
    ...(options.leaseSeconds === undefined ? {} : { leaseSeconds: options.leaseSeconds }),
  };
  const engine = new RunEngine(engineDeps);
  return {
    ti,
    engine,
    issuer,
    tokens,
    target,
    wrap: (fn, type = 'tokens') => {
      const real = built.get(type);
      if (real === undefined) throw new TypeError(`no ${type} connector to wrap`);
      connectors.set(type, fn(real));
    },
    restart: () =>
      new RunEngine({
        ...engineDeps,
        bundles: new BundleRegistry({
          ledger: ti.t.ledger,
          principals: (id) => ti.inventory.getPrincipal(id),
        }),
      }),
    close: async () => {
      await ti.close();
      await target.close();
    },
  };
}

/** A connector that forwards every call to `c` (spread it and override what a test changes). */
export function forward(c: Connector): Connector {
  return {
    describe: () => c.describe(),
    checkStep: (s) => {
      c.checkStep(s);
    },
    plan: (s, a) => c.plan(s, a),
    readPrior: (s, a) => c.readPrior(s, a),
    apply: (s, a) => c.apply(s, a),
    verify: (s, a, x) => c.verify(s, a, x),
    rollback: (s, a, p) => c.rollback(s, a, p),
    list: (s, a) => c.list(s, a),
    endSessions: (s, a) => c.endSessions(s, a),
  };
}

/** A person's approval or denial of a run, signed with their key. */
export function sign(
  key: ReturnType<typeof generateApproverKey>,
  run: Run,
  decision: 'approve' | 'deny' = 'approve',
  rationale = 'ok',
  at: Date = new Date(),
) {
  return signApproval({
    privateKeyPem: key.privateKeyPem,
    keyId: key.keyId,
    principal: key.principal,
    runId: run.id,
    digest: run.digest!,
    decision,
    rationale,
    signedAt: at,
  });
}

/** The ledger records of one correlation id (a run), in order. */
export async function recordsOf(f: EngineFixture, correlationId: string): Promise<Record<string, unknown>[]> {
  const rows = await f.ti.t.store.read.query<{ data: Uint8Array }>(
    'SELECT data FROM ledger_records ORDER BY idx',
  );
  return rows
    .map((r) => JSON.parse(Buffer.from(r.data).toString('utf8')) as Record<string, unknown>)
    .filter((r) => r['correlationId'] === correlationId);
}
