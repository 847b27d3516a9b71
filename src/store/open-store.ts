import type { Config } from '../config/config.js';
import { migrate } from './migrate.js';
import { openPostgresStore } from './postgres-store.js';
import type { Store } from './sql.js';
import { openSqliteStore } from './sqlite-store.js';

/** Opens the configured store (PostgreSQL when a database URL is set, else embedded SQLite) and migrates it. */
export async function openStore(
  config: Pick<Config, 'dataDir' | 'databaseUrl'>,
  now: () => Date = () => new Date(),
): Promise<Store> {
  const store =
    config.databaseUrl !== undefined
      ? await openPostgresStore(config.databaseUrl)
      : openSqliteStore(config.dataDir);
  try {
    await migrate(store.write, now);
  } catch (e) {
    await store.close();
    throw e;
  }
  return store;
}
