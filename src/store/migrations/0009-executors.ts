import type { Migration } from './types.js';

/**
 * Executor instances, so that several processes can share one store: each process that executes
 * runs registers itself and beats a heartbeat; a run in execution names the instance that claimed it
 * (`runs.claimed_by`). Recovery continues only the runs of an instance that stopped or whose
 * heartbeat is older than its lease — never a run a live process is executing (run-claims.ts).
 */
export const executorsMigration: Migration = {
  version: 9,
  name: 'executors',
  statements: (t) => [
    `CREATE TABLE executor_instances (
      id ${t.text} PRIMARY KEY,
      host ${t.text} NOT NULL,
      pid ${t.int} NOT NULL,
      started_at ${t.text} NOT NULL,
      heartbeat_at ${t.text} NOT NULL,
      lease_seconds ${t.int} NOT NULL,
      stopped_at ${t.text}
    )`,
    `ALTER TABLE runs ADD COLUMN claimed_by ${t.text}`,
    `CREATE INDEX runs_state ON runs (state)`,
  ],
};
