/** A tokens connector on a fresh store of the given kind, with an injected clock. */
import crypto from 'node:crypto';
import { TokensConnector, generateTokenSigningKey } from '../../src/connectors/tokens/index.js';
import type { ContractTarget } from '../../src/connectors/kit/contract-kit.js';
import { fingerprintKeyFrom } from '../../src/ledger/secrets.js';
import { openStore, type Store } from '../../src/store/index.js';
import type { StoreKind } from '../support/stores.js';
import { FakeAuthority } from './fake-authority.js';

export interface TokensTarget extends ContractTarget {
  readonly connector: TokensConnector;
  readonly store: Store;
  readonly dataDir: string;
  readonly clock: { now: Date };
}

export async function makeTokensTarget(kind: StoreKind): Promise<TokensTarget> {
  const settings = await kind.fresh();
  const store = await openStore(settings);
  const clock = { now: new Date('2030-01-01T00:00:00.000Z') };
  const authority = new FakeAuthority();
  const connector = new TokensConnector({
    conn: store.write,
    authority,
    fingerprintKey: fingerprintKeyFrom(crypto.randomBytes(32)),
    signingKey: await generateTokenSigningKey(),
    now: () => clock.now,
  });
  let closed = false;
  const close = async () => {
    if (!closed) await store.close();
    closed = true;
  };
  return {
    connector,
    store,
    dataDir: settings.dataDir,
    clock,
    system: { id: 'sys-tokens', type: 'tokens', environment: 'test', connection: {} },
    identity: { id: 'id-reports', kind: 'api_key', externalId: 'svc-reports' },
    authority: (scope) => authority.mint(scope),
    login: async (secret) => (await connector.verifyPresented(secret)).valid,
    advance: (seconds) => {
      clock.now = new Date(clock.now.getTime() + seconds * 1000);
      return Promise.resolve();
    },
    makeUnavailable: close,
    cleanup: close,
  };
}
