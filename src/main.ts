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

export interface Custos {
  readonly config: Config;
  readonly store: Store;
  readonly ledger: Ledger;
  readonly inventory: Inventory;
  readonly bundles: BundleRegistry;
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
  return {
    config,
    store,
    ledger,
    inventory,
    bundles,
    now,
    close: async () => {
      await ledger.writer.idle();
      await store.close();
    },
  };
}
