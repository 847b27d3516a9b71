/**
 * One schema, written once; column types are mapped per dialect. Migrations are append-only:
 * never edit a released one, add a new file with the next version.
 */
import type { Dialect } from '../sql.js';
import { TYPES, type Migration } from './types.js';
import { ledgerMigration } from './0001-ledger.js';
import { inventoryMigration } from './0002-inventory.js';
import { workflowsMigration } from './0003-workflows.js';
import { decisionsMigration } from './0004-decisions.js';
import { tokensMigration } from './0005-tokens.js';
import { runsMigration } from './0006-runs.js';
import { timersAlertsGrantsMigration } from './0007-timers-alerts-grants.js';
import { apiMigration } from './0008-api.js';
import { executorsMigration } from './0009-executors.js';

export const MIGRATIONS: readonly Migration[] = [
  ledgerMigration,
  inventoryMigration,
  workflowsMigration,
  decisionsMigration,
  tokensMigration,
  runsMigration,
  timersAlertsGrantsMigration,
  apiMigration,
  executorsMigration,
];

export function migrationStatements(dialect: Dialect, migration: Migration): readonly string[] {
  return migration.statements(TYPES[dialect]);
}

export type { Migration, Types } from './types.js';
