import { afterAll, beforeAll, describe } from 'vitest';
import { describeConnectorContract } from '../../src/connectors/kit/contract-kit.js';
import { mariadbOrSkip, startMariadb, type MariadbServer } from './mariadb/mariadb-server.js';
import { makeMariadbTarget } from './mariadb/mariadb-target.js';

// The authority is FakeAuthority, a stand-in for src/authority (see fake-authority.ts).
const present = mariadbOrSkip();
let server: MariadbServer | undefined;
beforeAll(async () => {
  if (present) server = await startMariadb();
});
afterAll(async () => {
  await server?.stop();
});

// MariaDB holds one password per account: its target says rotationOverlap: false, and the kit then
// checks that an overlap is refused. Sessions survive password changes and locks: sessions: true.
describe.skipIf(!present)('mariadb', () => {
  describeConnectorContract('mariadb', () => makeMariadbTarget(server!), { sessions: true });
});
