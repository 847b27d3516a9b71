import { afterAll, beforeAll } from 'vitest';
import { describeConnectorContract } from '../../src/connectors/kit/contract-kit.js';
import { startScimServer, type ScimServer } from './scim/scim-server.js';
import { makeScimTarget } from './scim/scim-target.js';

// The authority is FakeAuthority, a stand-in for src/authority (see fake-authority.ts). The peer is
// scimmy + scimmy-routers on Express 4 with an in-memory store (scim/peer-*.ts), in its own process.
let server: ScimServer | undefined;
beforeAll(async () => {
  server = await startScimServer();
});
afterAll(async () => {
  await server?.stop();
});

// SCIM holds one password per user: the target says rotationOverlap: false, and the kit then checks
// that an overlap is refused. SCIM has no session API, so the kit's session check is not opted into.
// Its rotate-rollback check cannot pass on SCIM (write-only passwords, no hash accepted): see the
// proposed `credentialRollback: false` capability, which ScimTarget already declares.
describeConnectorContract('scim', () => makeScimTarget(server!));
