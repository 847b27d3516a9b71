import { afterAll, beforeAll } from 'vitest';
import { describeConnectorContract } from '../../src/connectors/kit/contract-kit.js';
import { startPgServer, type PgServer } from './postgres/pg-server.js';
import { makePgTarget } from './postgres/pg-target.js';

// The authority is FakeAuthority, a stand-in for src/authority (see fake-authority.ts).
let server: PgServer | undefined;
beforeAll(async () => {
  server = await startPgServer();
});
afterAll(async () => {
  await server?.stop();
});

// PostgreSQL holds one password per role: its target says rotationOverlap: false, and the kit then
// checks that an overlap is refused.
describeConnectorContract('postgres', () => makePgTarget(server!), { sessions: true });
