import { CustosError } from '../core/errors.js';
import { MIGRATIONS, migrationStatements } from './migrations/index.js';
import type { WriteConnection } from './sql.js';

/**
 * Applies pending migrations in one transaction each. On PostgreSQL concurrent processes are
 * serialised by a transaction-scoped advisory lock, so many workers may start at once.
 */
export async function migrate(conn: WriteConnection, now: () => Date): Promise<number> {
  let applied = 0;
  for (const migration of MIGRATIONS) {
    await conn.begin();
    try {
      if (conn.dialect === 'postgres') await conn.run('SELECT pg_advisory_xact_lock(7253911)');
      // Inside the lock: CREATE ... IF NOT EXISTS is not safe against concurrent creation.
      await conn.run(
        'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)',
      );
      const done = await conn.query('SELECT version FROM schema_migrations WHERE version = ?', [
        migration.version,
      ]);
      if (done.length === 0) {
        for (const statement of migrationStatements(conn.dialect, migration)) await conn.run(statement);
        await conn.run('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)', [
          migration.version,
          migration.name,
          now().toISOString(),
        ]);
        applied++;
      }
      await conn.commit();
    } catch (cause) {
      await conn.rollback().catch(() => undefined);
      throw new CustosError(
        'STORE_MIGRATION_FAILED',
        `migration ${migration.version} (${migration.name}) failed`,
        {
          cause,
        },
      );
    }
  }
  return applied;
}
