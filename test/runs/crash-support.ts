/**
 * Shared by crash.test.ts and its child process crash-child.ts (no vitest import: the child runs
 * under plain Node + tsx). A "world" is everything a restarted process needs to see the same
 * state: the settings of Custos's store and of the token issuer's store (a target system, with its
 * own idempotency journal), and the keys that must survive a crash — the authority key, the token
 * signing key and the fingerprint key — passed as JSON.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import {
  calculateJwkThumbprint,
  exportJWK,
  generateKeyPair,
  importJWK,
  type CryptoKey,
  type JWK,
} from 'jose';
import {
  authorityJwks,
  createAuthorityIssuer,
  createAuthorityVerifier,
  generateAuthorityKey,
  type AuthorityIssuer,
  type AuthorityKey,
} from '../../src/authority/index.js';
import type { Connector } from '../../src/connectors/contract.js';
import { TokensConnector, type TokenSigningKey } from '../../src/connectors/tokens/index.js';
import { createInventory, importInventory, type Inventory } from '../../src/inventory/index.js';
import { Ledger } from '../../src/ledger/ledger.js';
import { generateNoteKey } from '../../src/ledger/note/index.js';
import { fingerprintKeyFrom } from '../../src/ledger/secrets.js';
import { loadBundle } from '../../src/policy/index.js';
import type { ExecuteHooks } from '../../src/runs/run-execute.js';
import { RunEngine } from '../../src/runs/index.js';
import { decideRun } from '../../src/runs/run-engine.js';
import { openStore, type Store } from '../../src/store/index.js';
import { BundleRegistry, type PlainRequest } from '../../src/workflows/index.js';

const EXAMPLES = path.resolve(import.meta.dirname, '../../examples');

export interface StoreSettings {
  readonly dataDir: string;
  readonly databaseUrl?: string;
}

export interface CrashWorld {
  readonly custos: StoreSettings;
  readonly target: StoreSettings;
  readonly authorityKey: AuthorityKey;
  readonly tokenKey: { readonly privateJwk: JWK; readonly publicJwk: JWK };
  /** Hex. */
  readonly fingerprintKey: string;
}

/**
 * create: the CI pipeline's deploy token (issues a secret). rotate and revoke act on
 * payments-api-token, which the world seeds on the target with one credential (rotate issues a
 * secret and supersedes the old one; revoke issues none).
 */
export type Flow = 'create' | 'rotate' | 'revoke';
export const SEEDED = 'payments-api-token';

export const REQUESTS: Readonly<Record<Flow, PlainRequest>> = {
  create: {
    principal: 'service:ci-pipeline',
    action: 'create',
    resource: {
      new: { name: 'payments-deploy', kind: 'token', system: 'tokens', tags: ['service:payments'] },
    },
    context: { durationMinutes: 60, justification: 'deploy payments' },
  },
  rotate: {
    principal: 'service:ci-pipeline',
    action: 'rotate',
    resource: { identity: SEEDED },
    context: { durationMinutes: 60 },
  },
  revoke: { principal: 'service:ci-pipeline', action: 'revoke', resource: { identity: SEEDED } },
};

export interface CrashChildConfig {
  readonly world: CrashWorld;
  /** An approved run (filed and decided beforehand, so the child spends its time executing). */
  readonly runId: string;
  /** The crash point at which the child SIGKILLs itself. */
  readonly crashAt: string;
  /** Make the first verification disagree (the run pauses), then roll the run back. */
  readonly rollback: boolean;
}

export interface OpenWorld {
  readonly engine: RunEngine;
  readonly inventory: Inventory;
  readonly bundles: BundleRegistry;
  readonly ledger: Ledger;
  readonly store: Store;
  readonly tokens: TokensConnector;
  readonly target: Store;
  readonly issuer: AuthorityIssuer;
  /** Replace the tokens connector, e.g. to make verification disagree. */
  wrap(fn: (real: Connector) => Connector): void;
  close(): Promise<void>;
}

/** Opens the world as a fresh process would: nothing but what is stored and the keys. */
export async function openWorld(
  world: CrashWorld,
  options: ExecuteHooks & { readonly stepTimeoutSeconds?: number } = {},
): Promise<OpenWorld> {
  const now = () => new Date();
  const store = await openStore(world.custos);
  const target = await openStore(world.target);
  const ledger = new Ledger({ store, now });
  const inventory = createInventory({ ledger, now });
  const bundles = new BundleRegistry({ ledger, principals: (id) => inventory.getPrincipal(id) });
  const key = world.authorityKey;
  const issuer = createAuthorityIssuer({ privateKey: key.privateJwk, kid: key.kid, issuer: 'custos', now });
  const verifier = createAuthorityVerifier({ publicKeys: authorityJwks([key]), issuer: 'custos', now });
  const tokens = new TokensConnector({
    conn: target.write,
    authority: verifier,
    fingerprintKey: fingerprintKeyFrom(Buffer.from(world.fingerprintKey, 'hex')),
    signingKey: await tokenSigningKey(world.tokenKey),
    now,
  });
  const connectors = new Map<string, Connector>([['tokens', tokens]]);
  const engine = new RunEngine({
    ledger,
    inventory,
    bundles,
    connectors,
    authority: issuer,
    now,
    ...options,
  });
  return {
    engine,
    inventory,
    bundles,
    ledger,
    store,
    tokens,
    target,
    issuer,
    wrap: (fn) => connectors.set('tokens', fn(tokens)),
    close: async () => {
      await ledger.writer.idle();
      await store.close();
      await target.close();
    },
  };
}

/**
 * Creates a world in the given (empty) stores: the ledger, the example inventory and bundle (its
 * policy owner approves it), and payments-api-token on the token issuer with one credential.
 */
export async function createWorld(custos: StoreSettings, target: StoreSettings): Promise<CrashWorld> {
  const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  const world: CrashWorld = {
    custos,
    target,
    authorityKey: await generateAuthorityKey(),
    tokenKey: { privateJwk: await exportJWK(privateKey), publicJwk: await exportJWK(publicKey) },
    fingerprintKey: crypto.randomBytes(32).toString('hex'),
  };
  const w = await openWorld(world);
  try {
    const origin = 'crash.test/log';
    await w.ledger.create(origin, generateNoteKey(origin).verifierKey);
    const text = fs.readFileSync(path.join(EXAMPLES, 'inventory.yaml'), 'utf8');
    await importInventory(w.inventory, { file: 'inventory.yaml', text }, { actor: 'person:alice' });
    const bundle = loadBundle(path.join(EXAMPLES, 'bundle'));
    await w.bundles.file(bundle, 'person:pat');
    await w.bundles.decide(bundle.hash, 'person:paula', 'approve');
    await seed(w);
  } finally {
    await w.close();
  }
  return world;
}

/** Files the flow's request as the CI pipeline and decides it: the policy approves it automatically. */
export async function fileApproved(w: OpenWorld, flow: Flow): Promise<string> {
  const filed = await w.engine.file({
    request: REQUESTS[flow],
    requester: 'service:ci-pipeline',
    justification: `crash test: ${flow}`,
    idempotencyKey: flow,
  });
  const run = await decideRun({ ...w, now: () => new Date() }, filed);
  if (run.state !== 'approved') throw new Error(`${flow} was not approved automatically: ${run.state}`);
  return run.id;
}

/** payments-api-token exists on the token issuer with one live credential (issued by a seed run). */
async function seed(w: OpenWorld): Promise<void> {
  const grant = { action: 'create' as const, system: 'tokens', identity: SEEDED };
  const authority = await w.issuer.mint({
    runId: 'seed',
    requestDigest: 'sha256:seed',
    executor: 'executor:seed',
    grants: [grant],
    ttlSeconds: 60,
  });
  const step = {
    runId: 'seed',
    stepId: 's1',
    action: 'create' as const,
    system: { id: 'tokens', type: 'tokens', environment: 'prod', connection: {} },
    identity: { id: SEEDED, kind: 'api_key', externalId: 'payments-service' },
    params: { kind: 'api_key' },
  };
  await w.tokens.apply(step, authority);
}

/** The token issuer's view of one run: its operations and the credentials it issued. */
export async function targetEffects(target: Store, runId: string) {
  const operations = await target.read.query<{ step_id: string; rolled_back_at: string | null }>(
    'SELECT step_id, rolled_back_at FROM token_operations WHERE run_id = ? ORDER BY step_id',
    [runId],
  );
  const issued = await target.read.query<{
    credential_id: string;
    identity_id: string;
    revoked_at: string | null;
  }>(
    'SELECT credential_id, identity_id, revoked_at FROM token_credentials WHERE run_id = ? ORDER BY credential_id',
    [runId],
  );
  return { operations, issued };
}

/** The seeded credential's validity columns (as the seed run left them, or as a step changed them). */
export async function seededCredential(target: Store) {
  const [row] = await target.read.query<{
    credential_id: string;
    revoked_at: string | null;
    superseded_by: string | null;
  }>("SELECT credential_id, revoked_at, superseded_by FROM token_credentials WHERE run_id = 'seed'");
  return row!;
}

async function tokenSigningKey(jwks: CrashWorld['tokenKey']): Promise<TokenSigningKey> {
  const privateKey = (await importJWK(jwks.privateJwk, 'EdDSA')) as CryptoKey;
  const publicKey = (await importJWK(jwks.publicJwk, 'EdDSA')) as CryptoKey;
  const kid = (await calculateJwkThumbprint(jwks.publicJwk)).slice(0, 16);
  return { kid, privateKey, publicKey, publicJwk: { ...jwks.publicJwk, kid, alg: 'EdDSA', use: 'sig' } };
}
