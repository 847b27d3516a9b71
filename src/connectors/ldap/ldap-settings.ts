/**
 * The connection settings of an ldap system (the inventory system's `connection` map). The admin
 * password is a reference (`env:LDAP_ADMIN_PASSWORD`) resolved by the injected resolver; the
 * value never appears in settings, errors or logs.
 */
import { z } from 'zod';
import { CustosError } from '../../core/errors.js';
import type { TargetSystem } from '../contract.js';
import { assertConfigDn, childDn } from './ldap-dn.js';

const connectionSchema = z.object({
  /** `ldap://host:port` or `ldaps://host:port` (use ldaps, or a tunnel, off loopback). */
  url: z.string().regex(/^ldaps?:\/\/[^/?#\s]+\/?$/),
  /** The admin entry Custos binds as (not the rootdn: see docs/connectors/ldap.md). */
  bindDn: z.string().min(1),
  /** A reference such as `env:LDAP_ADMIN_PASSWORD`. */
  password: z.string().min(1),
  /** Service accounts are the entries `cn=<externalId>,<baseDn>`. */
  baseDn: z.string().min(1),
  /** Entitlements are memberships of the groupOfNames entries `cn=<name>,<groupsDn>`. */
  groupsDn: z.string().min(1),
  /** The default pwdPolicy entry: verify reads it to confirm that a lock is enforced. */
  policyDn: z.string().min(1).optional(),
  /** Where the idempotency journal lives; `ou=custos-journal,<baseDn>` by default. */
  journalDn: z.string().min(1).optional(),
  /** Per-operation timeout (connect and each request). */
  timeoutMs: z.number().int().min(100).max(120_000).default(10_000),
});

export interface LdapSettings {
  readonly url: string;
  readonly bindDn: string;
  readonly password: string;
  readonly baseDn: string;
  readonly groupsDn: string;
  readonly policyDn: string | undefined;
  readonly journalDn: string;
  readonly timeoutMs: number;
}

export function parseSettings(system: TargetSystem): LdapSettings {
  const parsed = connectionSchema.safeParse(system.connection);
  if (!parsed.success) {
    const fields = [...new Set(parsed.error.issues.map((i) => i.path.join('.')))].join(', ');
    throw new CustosError(
      'CONFIG_INVALID',
      `system ${system.id}: invalid LDAP connection settings (${fields})`,
      {
        details: { system: system.id },
      },
    );
  }
  const c = parsed.data;
  const dn = (value: string, key: string) => assertConfigDn(value, `system ${system.id}: connection.${key}`);
  return {
    url: c.url,
    bindDn: dn(c.bindDn, 'bindDn'),
    password: c.password,
    baseDn: dn(c.baseDn, 'baseDn'),
    groupsDn: dn(c.groupsDn, 'groupsDn'),
    policyDn: c.policyDn === undefined ? undefined : dn(c.policyDn, 'policyDn'),
    journalDn:
      c.journalDn === undefined ? childDn('ou', 'custos-journal', c.baseDn) : dn(c.journalDn, 'journalDn'),
    timeoutMs: c.timeoutMs,
  };
}

/** The DN of the service account named `name` (already checked by assertAccountName). */
export function accountDn(settings: LdapSettings, name: string): string {
  return childDn('cn', name, settings.baseDn);
}
