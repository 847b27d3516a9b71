/**
 * Composition root: opens the configured store and builds each module from its dependencies.
 * Nothing here is global; the CLI and (later) the server call openCustos once per process.
 */
import type { Config } from './config/config.js';
import { openStore, type Store } from './store/index.js';
import { Ledger } from './ledger/ledger.js';
import { hasLogKey, keyPaths, loadLogSigner, signerStateFile } from './keys/index.js';
import { createInventory, type Inventory } from './inventory/index.js';
import { BundleRegistry } from './workflows/index.js';
import { CedarMemo, CedarThread, type CedarMemoStats } from './policy/index.js';
import { loadFingerprintKey, loadOrCreateRunKeys } from './keys/index.js';
import { authorityJwks, createAuthorityIssuer, createAuthorityVerifier } from './authority/index.js';
import type { Connector } from './connectors/contract.js';
import { TokensConnector } from './connectors/tokens/index.js';
import { targetConnectors } from './connectors/registry.js';
import { CustosError } from './core/errors.js';
import { RunEngine } from './runs/index.js';
import { sweepOverlaps, type SweepResult } from './runs/overlap-sweep.js';
import path from 'node:path';

export interface Custos {
  readonly config: Config;
  readonly store: Store;
  readonly ledger: Ledger;
  readonly inventory: Inventory;
  readonly bundles: BundleRegistry;
  /** The run engine, with the built-in tokens issuer and the connectors of src/connectors/registry.ts (needs `init`). */
  runs(): Promise<RunEngine>;
  /** The built-in token issuer: downstream verification of presented tokens, and its JWKS. */
  tokens(): Promise<TokensConnector>;
  /** Ends expired rotation-overlap windows on every target that keeps them (the host loop's job). */
  sweepOverlaps(): Promise<SweepResult[]>;
  /** How the run engine's decisions were evaluated (cedar-memo.ts); undefined until it has started. */
  policyStats(): CedarMemoStats | undefined;
  readonly now: () => Date;
  close(): Promise<void>;
}

export async function openCustos(config: Config, now: () => Date = () => new Date()): Promise<Custos> {
  const store = await openStore(config, now);
  const signing = hasLogKey(config.keysDir)
    ? {
        signer: loadLogSigner(config.keysDir),
        signerState: signerStateFile(keyPaths(config.keysDir).signerState),
      }
    : {};
  const ledger = new Ledger({ store, now, ...signing });
  const inventory = createInventory({ ledger, now });
  const bundles = new BundleRegistry({ ledger, principals: (id) => inventory.getPrincipal(id) });
  const closers: (() => Promise<void>)[] = [];
  let parts: Promise<RunParts> | undefined;
  let opened: RunParts | undefined;
  const open = (): Promise<RunParts> =>
    (parts ??= openRunEngine(config, { ledger, inventory, bundles, now }, closers).then((p) => (opened = p)));
  const runs = async (): Promise<RunEngine> => (await open()).engine;
  const tokens = async (): Promise<TokensConnector> => (await open()).tokens;
  const sweepTargets = async (): Promise<SweepResult[]> => (await open()).sweep();
  return {
    config,
    store,
    ledger,
    inventory,
    bundles,
    runs,
    tokens,
    sweepOverlaps: sweepTargets,
    policyStats: () => opened?.policy.stats(),
    now,
    close: async () => {
      for (const close of closers.reverse()) await close();
      await ledger.writer.idle();
      await store.close();
    },
  };
}

/**
 * The run engine's parts: its keys from the keys directory (created on first use), the token
 * issuer's state in a store of its own (a target system, with its own write connection), and
 * connectors that verify the engine's delegated authority. Secret references in system
 * connections resolve from the environment (`env:NAME`).
 */
interface RunParts {
  readonly engine: RunEngine;
  readonly tokens: TokensConnector;
  readonly policy: CedarMemo;
  readonly sweep: () => Promise<SweepResult[]>;
}

async function openRunEngine(
  config: Config,
  core: Pick<Custos, 'ledger' | 'inventory' | 'bundles' | 'now'>,
  closers: (() => Promise<void>)[],
): Promise<RunParts> {
  if (!hasLogKey(config.keysDir)) throw new CustosError('NOT_INITIALISED', 'run `custos init` first');
  const { now } = core;
  const keys = await loadOrCreateRunKeys(config.keysDir);
  const fingerprintKey = loadFingerprintKey(config.keysDir);
  const issuer = createAuthorityIssuer({
    privateKey: keys.authority.privateJwk,
    kid: keys.authority.kid,
    issuer: 'custos',
    now,
  });
  const verifier = createAuthorityVerifier({
    publicKeys: authorityJwks([keys.authority]),
    issuer: 'custos',
    now,
    // The connectors run in this process: the tokens this issuer minted are known here.
    sameProcessIssuer: issuer,
  });
  const tokenStore = await openStore(
    { dataDir: path.join(config.dataDir, 'tokens'), databaseUrl: config.databaseUrl },
    now,
  );
  closers.push(() => tokenStore.close());
  const targets = targetConnectors({ authority: verifier, fingerprintKey, now });
  closers.push(() => targets.close());
  const tokens = new TokensConnector({
    conn: tokenStore.write,
    authority: verifier,
    fingerprintKey,
    signingKey: keys.tokens,
    now,
  });
  const connectors = new Map<string, Connector>([['tokens', tokens], ...targets.byType]);
  const sweep = () => sweepOverlaps({ ...core, connectors, authority: issuer });
  // Cedar on a thread of its own, started on the first decision (cedar-thread.ts), its answers
  // remembered by request shape (cedar-memo.ts).
  const policy = new CedarThread();
  closers.push(() => policy.close());
  const memo = new CedarMemo(policy.evaluate);
  const engine = new RunEngine({ ...core, connectors, authority: issuer, evaluate: memo.evaluate });
  // Closed first (closers run in reverse): peers may take over this process's runs at once.
  closers.push(() => engine.stop());
  return { engine, tokens, sweep, policy: memo };
}
