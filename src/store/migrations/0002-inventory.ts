import type { Migration } from './types.js';

/**
 * The inventory: principals, group memberships, systems and identities. These tables are
 * projections: every change to them is written in the same transaction as its ledger record.
 * Lists and maps are JSON text. Personal data columns hold vault commitments (pii_vault), never
 * cleartext (no foreign key: erasing a vault row must stay possible); connection settings hold secret references (env:NAME, secret:NAME), never secrets.
 */
export const inventoryMigration: Migration = {
  version: 2,
  name: 'inventory',
  statements: (t) => [
    `CREATE TABLE inventory_principals (
      id ${t.text} PRIMARY KEY,
      kind ${t.text} NOT NULL CHECK (kind IN ('person', 'group', 'service')),
      display_name ${t.text},
      email ${t.text},
      roles ${t.text} NOT NULL,
      created_at ${t.text} NOT NULL,
      updated_at ${t.text} NOT NULL
    )`,
    `CREATE TABLE inventory_memberships (
      group_id ${t.text} NOT NULL REFERENCES inventory_principals (id),
      member_id ${t.text} NOT NULL REFERENCES inventory_principals (id),
      PRIMARY KEY (group_id, member_id)
    )`,
    `CREATE INDEX inventory_memberships_member ON inventory_memberships (member_id)`,
    `CREATE TABLE inventory_systems (
      id ${t.text} PRIMARY KEY,
      type ${t.text} NOT NULL,
      environment ${t.text} NOT NULL,
      owner ${t.text} NOT NULL REFERENCES inventory_principals (id),
      connection ${t.text} NOT NULL,
      last_reconciled_at ${t.text},
      open_critical_findings ${t.int} NOT NULL DEFAULT 0,
      created_at ${t.text} NOT NULL,
      updated_at ${t.text} NOT NULL
    )`,
    `CREATE TABLE inventory_identities (
      id ${t.text} PRIMARY KEY,
      kind ${t.text} NOT NULL,
      system_id ${t.text} NOT NULL REFERENCES inventory_systems (id),
      external_id ${t.text} NOT NULL,
      state ${t.text} NOT NULL CHECK (state IN ('requested', 'active', 'suspended', 'retired')),
      business_owner ${t.text} REFERENCES inventory_principals (id),
      policy_owner ${t.text} REFERENCES inventory_principals (id),
      platform_owner ${t.text} REFERENCES inventory_principals (id),
      credentials ${t.text} NOT NULL,
      entitlements ${t.text} NOT NULL,
      tags ${t.text} NOT NULL,
      risk_tier ${t.text} NOT NULL,
      last_verified_at ${t.text},
      created_at ${t.text} NOT NULL,
      updated_at ${t.text} NOT NULL,
      UNIQUE (system_id, external_id),
      -- Defence in depth for the rule the service enforces: no active identity without its owners.
      CHECK (state <> 'active' OR (business_owner IS NOT NULL AND policy_owner IS NOT NULL AND platform_owner IS NOT NULL))
    )`,
    `CREATE INDEX inventory_identities_system ON inventory_identities (system_id, id)`,
  ],
};
