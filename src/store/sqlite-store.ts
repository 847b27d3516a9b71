/**
 * Embedded default: SQLite through better-sqlite3 in WAL mode with synchronous=FULL, so a
 * committed ledger append survives power loss. One write connection (all writes of the process
 * go through it, group-committed by the ledger) and one read connection that never sees
 * uncommitted work.
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { CustosError } from '../core/errors.js';
import {
  CommitOutcomeUnknown,
  HEAD_SELECT,
  HEAD_UPDATE,
  type Row,
  type SequencedWrite,
  type Sql,
  type SqlParam,
  type Store,
  type WriteConnection,
} from './sql.js';

type Statement = Database.Statement;

class SqliteSql implements Sql {
  readonly dialect = 'sqlite' as const;
  private readonly cache = new Map<string, Statement>();

  constructor(protected readonly db: Database.Database) {}

  protected prepare(sql: string): Statement {
    let stmt = this.cache.get(sql);
    if (stmt === undefined) {
      stmt = this.db.prepare(sql);
      this.cache.set(sql, stmt);
    }
    return stmt;
  }

  query<T extends Row = Row>(sql: string, params: readonly SqlParam[] = []): Promise<T[]> {
    return Promise.resolve(this.prepare(sql).all(...params.map(toSqlite)) as T[]);
  }

  run(sql: string, params: readonly SqlParam[] = []): Promise<number> {
    const stmt = this.prepare(sql);
    if (stmt.reader) return Promise.resolve(stmt.all(...params.map(toSqlite)).length);
    return Promise.resolve(stmt.run(...params.map(toSqlite)).changes);
  }
}

class SqliteWriteConnection extends SqliteSql implements WriteConnection {
  begin(): Promise<void> {
    // IMMEDIATE takes the write lock now, so a transaction never fails later on lock upgrade.
    this.db.exec('BEGIN IMMEDIATE');
    return Promise.resolve();
  }
  commit(): Promise<void> {
    this.db.exec('COMMIT');
    return Promise.resolve();
  }
  rollback(): Promise<void> {
    if (this.db.inTransaction) this.db.exec('ROLLBACK');
    return Promise.resolve();
  }
  savepoint(name: string): Promise<void> {
    this.db.exec(`SAVEPOINT ${name}`);
    return Promise.resolve();
  }
  release(name: string): Promise<void> {
    this.db.exec(`RELEASE ${name}`);
    return Promise.resolve();
  }
  rollbackTo(name: string): Promise<void> {
    this.db.exec(`ROLLBACK TO ${name}; RELEASE ${name}`);
    return Promise.resolve();
  }
  readHeadForUpdate<T extends Row = Row>(): Promise<T[]> {
    // BEGIN IMMEDIATE already holds SQLite's single write lock.
    return this.query<T>(HEAD_SELECT);
  }
  async commitSequenced(write: SequencedWrite): Promise<void> {
    await this.insertMany('ledger_records', ['idx', 'data'], write.records);
    await this.insertMany('ledger_nodes', ['level', 'idx', 'hash'], write.nodes);
    if ((await this.run(HEAD_UPDATE, [...write.head, write.fromSize])) !== 1) {
      throw new Error('ledger head moved under the ledger lock');
    }
    try {
      this.db.exec('COMMIT');
    } catch (cause) {
      throw new CommitOutcomeUnknown(cause);
    }
  }
  /**
   * Multi-row INSERT statements (each prepared once): binding N rows to one statement costs one
   * native call and one VM run instead of N, which matters for the thousands of rows of a group
   * commit. Row counts are split into chunks of MULTI_ROW_SIZES so only a few statements are cached.
   */
  insertMany(
    table: string,
    columns: readonly string[],
    rows: readonly (readonly SqlParam[])[],
  ): Promise<void> {
    const width = columns.length;
    let start = 0;
    for (const size of MULTI_ROW_SIZES) {
      if (rows.length - start < size) continue;
      const tuple = `(${columns.map(() => '?').join(', ')})`;
      const stmt = this.prepare(
        `INSERT INTO ${table} (${columns.join(', ')}) VALUES ${Array.from({ length: size }, () => tuple).join(', ')}`,
      );
      const params: unknown[] = new Array<unknown>(size * width);
      while (rows.length - start >= size) {
        for (let r = 0; r < size; r++) {
          const row = rows[start + r]!;
          for (let c = 0; c < width; c++) params[r * width + c] = toSqlite(row[c]!);
        }
        stmt.run(params);
        start += size;
      }
    }
    return Promise.resolve();
  }
}

// Rows per INSERT statement, largest first (the last, 1, takes any remainder). 256 rows of up to
// 3 columns stay far below SQLite's limit of 32766 bound parameters.
const MULTI_ROW_SIZES = [256, 32, 4, 1] as const;

/** better-sqlite3 binds any Uint8Array (a view at any offset) as a BLOB; only booleans need mapping. */
function toSqlite(value: SqlParam): unknown {
  if (typeof value === 'boolean') return value ? 1 : 0;
  return value;
}

export function openSqliteStore(dataDir: string): Store {
  const file = path.join(dataDir, 'custos.db');
  let writer: Database.Database;
  let reader: Database.Database;
  try {
    fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    writer = new Database(file);
    writer.pragma('journal_mode = WAL');
    // FULL: every commit fsyncs the WAL. An audit log must survive power loss.
    writer.pragma('synchronous = FULL');
    writer.pragma('busy_timeout = 10000');
    writer.pragma('foreign_keys = ON');
    reader = new Database(file);
    reader.pragma('busy_timeout = 10000');
  } catch (cause) {
    throw new CustosError('STORE_UNAVAILABLE', `cannot open SQLite store at ${file}`, { cause });
  }
  return {
    dialect: 'sqlite',
    read: new SqliteSql(reader),
    write: new SqliteWriteConnection(writer),
    description: `sqlite:${file}`,
    close: () => {
      reader.close();
      writer.close();
      return Promise.resolve();
    },
  };
}
