import { describeConnectorContract } from '../../src/connectors/kit/contract-kit.js';
import { storeKinds } from '../support/stores.js';
import { makeTokensTarget } from './tokens-target.js';

// The authority here is FakeAuthority, a stand-in for src/authority (see fake-authority.ts).
for (const kind of storeKinds()) {
  describeConnectorContract(`tokens on ${kind.name}`, () => makeTokensTarget(kind));
}
