export type { Dialect, Row, Sql, SqlParam, Store, WriteConnection } from './sql.js';
export { openStore } from './open-store.js';
export { openSqliteStore } from './sqlite-store.js';
export { openPostgresStore } from './postgres-store.js';
export { migrate } from './migrate.js';
