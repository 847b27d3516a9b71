import { afterAll, beforeAll, describe } from 'vitest';
import { describeConnectorContract } from '../../src/connectors/kit/contract-kit.js';
import { ldapAvailable, startLdapServer, type LdapServer } from './ldap/ldap-server.js';
import { makeLdapTarget } from './ldap/ldap-target.js';

// The authority is FakeAuthority, a stand-in for src/authority (see fake-authority.ts). The target
// holds two passwords during a rotation's overlap (userPassword is multi-valued): rotationOverlap.
const available = ldapAvailable();
let server: LdapServer | undefined;
beforeAll(async () => {
  if (available) server = await startLdapServer();
});
afterAll(async () => {
  await server?.stop();
});

describe.runIf(available)('ldap (OpenLDAP, private slapd)', () => {
  describeConnectorContract('ldap', () => makeLdapTarget(server!));
});
