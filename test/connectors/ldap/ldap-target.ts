/**
 * A contract target: a fresh subtree (`ou=t<hex>`) on the file's private directory with its own
 * services, groups and journal, an account name, and a connector that reaches the directory
 * through a TCP proxy (closing it makes the target unreachable) on an injected clock.
 *
 * `advance(seconds)` moves the clock and then runs the connector's overlap sweep, as the engine's
 * timer tick does at that time: the old password of a rotation is removed by that sweep, so the
 * kit's "only the new password after the overlap" exercises the real removal on the directory.
 */
import crypto from 'node:crypto';
import { Client } from 'ldapts';
import type { ContractTarget, KitSession } from '../../../src/connectors/kit/contract-kit.js';
import {
  LdapConnector,
  overlapScope,
  tryBind,
  type LoggedOperation,
} from '../../../src/connectors/ldap/index.js';
import { fingerprintKeyFrom } from '../../../src/ledger/secrets.js';
import { FakeAuthority } from '../fake-authority.js';
import { startProxy } from '../postgres/tcp-proxy.js';
import { NOBODY_DN, POLICY_DN } from './ldap-config.js';
import type { LdapServer } from './ldap-server.js';

export const GROUPS = ['readers', 'writers', 'Report Readers'];

export interface LdapTarget extends ContractTarget {
  readonly connector: LdapConnector;
  readonly server: LdapServer;
  readonly account: string;
  readonly base: string;
  readonly groupsDn: string;
  readonly clock: { now: Date };
  /** Every request the connector sent. */
  readonly operations: LoggedOperation[];
  /** A second connector on the same directory and clock (a "restarted process", without faults). */
  fresh(): LdapConnector;
  /** Makes the first connector fail (before sending) every request for which `when` is true. */
  readonly faults: { when?: ((op: LoggedOperation) => boolean) | undefined };
  rotationOverlap: true;
  openSession(secret: string): Promise<KitSession>;
}

export interface TargetOptions {
  readonly leaseSeconds?: number;
  readonly leaseWaitMs?: number;
}

export async function makeLdapTarget(server: LdapServer, options: TargetOptions = {}): Promise<LdapTarget> {
  const suffix = crypto.randomBytes(4).toString('hex');
  const base = `ou=t${suffix},${server.suffix}`;
  const services = `ou=services,${base}`;
  const groupsDn = `ou=groups,${base}`;
  await server.root(async (c) => {
    await c.add(base, { objectClass: 'organizationalUnit', ou: `t${suffix}` });
    await c.add(services, { objectClass: 'organizationalUnit', ou: 'services' });
    await c.add(groupsDn, { objectClass: 'organizationalUnit', ou: 'groups' });
    for (const g of GROUPS)
      await c.add(`cn=${g},${groupsDn}`, { objectClass: 'groupOfNames', cn: g, member: NOBODY_DN });
  });
  const proxy = await startProxy(server.port);
  const authority = new FakeAuthority();
  const key = fingerprintKeyFrom(crypto.randomBytes(32));
  const clock = { now: new Date() };
  const operations: LoggedOperation[] = [];
  const faults: { when?: ((op: LoggedOperation) => boolean) | undefined } = {};
  const make = (faulty = false) =>
    new LdapConnector({
      ...options,
      authority,
      fingerprintKey: key,
      resolveSecret: (ref) => {
        if (ref !== 'env:LDAP_ADMIN') throw new Error(`unknown secret ${ref}`);
        return server.adminPassword;
      },
      now: () => clock.now,
      onOperation: (op) => {
        operations.push(op);
        if (faulty && faults.when?.(op) === true) throw new Error(`injected crash before ${op.op} ${op.dn}`);
      },
    });
  const connector = make(true);
  const name = `svc-${suffix}`;
  const account = `cn=${name},${services}`;
  const system = {
    id: `sys-${suffix}`,
    type: 'ldap',
    environment: 'test',
    connection: {
      url: `ldap://127.0.0.1:${proxy.port}`,
      bindDn: server.adminDn,
      password: 'env:LDAP_ADMIN',
      baseDn: services,
      groupsDn,
      policyDn: POLICY_DN,
    },
  };
  let cleaned = false;
  return {
    connector,
    server,
    account,
    base,
    groupsDn,
    clock,
    operations,
    fresh: () => make(),
    faults,
    rotationOverlap: true,
    system,
    identity: { id: `id-${suffix}`, kind: 'service_account', externalId: name },
    authority: (scope) => authority.mint(scope),
    login: async (secret) => (await tryBind({ url: server.url, timeoutMs: 5000 }, account, secret)).ok,
    openSession: async (secret) => {
      const client = new Client({ url: server.url, timeout: 5000 });
      await client.bind(account, secret);
      return {
        // A search the account may make (ACL: `by users read`) succeeds while the session has access.
        alive: () =>
          client.search(groupsDn, { scope: 'one', attributes: ['cn'] }).then(
            (r) => r.searchEntries.length > 0,
            () => false,
          ),
        close: () => client.unbind().catch(() => undefined),
      };
    },
    advance: async (seconds) => {
      clock.now = new Date(clock.now.getTime() + seconds * 1000);
      await connector.endOverlaps(system, authority.mint(overlapScope(system)));
    },
    makeUnavailable: () => proxy.close(),
    cleanup: async () => {
      if (cleaned) return;
      cleaned = true;
      await proxy.close();
      await server.root((c) => deleteSubtree(c, base));
    },
  };
}

async function deleteSubtree(client: Client, base: string): Promise<void> {
  const { searchEntries } = await client.search(base, { scope: 'sub', attributes: ['1.1'] });
  const dns = searchEntries.map((e) => e.dn).sort((a, b) => b.split(',').length - a.split(',').length);
  for (const dn of dns) await client.del(dn);
}
