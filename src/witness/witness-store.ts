/**
 * The witness's own durable state, independent of any log's store: one SQLite database (WAL,
 * synchronous=FULL) in the witness directory holding the known logs (origin -> log verifier key) and,
 * per log, the latest checkpoint the witness cosigned. Advancing that state is a compare-and-set in a
 * BEGIN IMMEDIATE transaction, so two processes sharing the directory (a server and an offline
 * `cosign`) can never roll a log back (c2sp.org/tlog-witness: check and persist atomically).
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { bytesEqual } from '../core/bytes.js';
import { CustosError } from '../core/errors.js';

export const WITNESS_DB_FILE = 'witness.db';

/** The latest checkpoint the witness cosigned for one log. */
export interface WitnessLogState {
  readonly size: number;
  readonly rootHash: Uint8Array;
  /** The signed checkpoint with the witness's cosignature appended. */
  readonly note: string;
  /** Unix seconds of the cosignature. */
  readonly cosignedAt: number;
}

export interface WitnessLogEntry {
  readonly origin: string;
  readonly verifierKey: string;
  readonly state: WitnessLogState | undefined;
}

interface LogRow {
  origin: string;
  vkey: string;
  size: number | null;
  root_hash: Buffer | null;
  note: string | null;
  cosigned_at: number | null;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS witness_logs (
  origin TEXT PRIMARY KEY,
  vkey TEXT NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS witness_state (
  origin TEXT PRIMARY KEY REFERENCES witness_logs(origin),
  size INTEGER NOT NULL CHECK (size >= 0),
  root_hash BLOB NOT NULL CHECK (length(root_hash) = 32),
  note TEXT NOT NULL,
  cosigned_at INTEGER NOT NULL
) STRICT;`;

const SELECT = `SELECT l.origin, l.vkey, s.size, s.root_hash, s.note, s.cosigned_at
  FROM witness_logs l LEFT JOIN witness_state s ON s.origin = l.origin`;

export class WitnessStore {
  private constructor(private readonly db: Database.Database) {}

  /** Opens (creating if needed) the database in `dir`, which is created 0700. */
  static open(dir: string): WitnessStore {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    let db: Database.Database;
    try {
      db = new Database(path.join(dir, WITNESS_DB_FILE));
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = FULL');
      db.pragma('foreign_keys = ON');
      db.pragma('busy_timeout = 5000');
      db.exec(SCHEMA);
    } catch (cause) {
      throw new CustosError('STORE_UNAVAILABLE', `cannot open the witness database in ${dir}`, { cause });
    }
    return new WitnessStore(db);
  }

  /** Registers a log; false when it is already known with the same key. Another key is INPUT_INVALID. */
  addLog(origin: string, verifierKey: string): boolean {
    return this.db
      .transaction(() => {
        const known = this.getLog(origin);
        if (known === undefined) {
          this.db.prepare('INSERT INTO witness_logs (origin, vkey) VALUES (?, ?)').run(origin, verifierKey);
          return true;
        }
        if (known.verifierKey === verifierKey) return false;
        throw new CustosError('INPUT_INVALID', `log ${origin} is already known with another key`, {
          details: { origin },
        });
      })
      .immediate();
  }

  getLog(origin: string): WitnessLogEntry | undefined {
    const row = this.db.prepare(`${SELECT} WHERE l.origin = ?`).get(origin) as LogRow | undefined;
    return row === undefined ? undefined : toEntry(row);
  }

  listLogs(): WitnessLogEntry[] {
    return (this.db.prepare(`${SELECT} ORDER BY l.origin`).all() as LogRow[]).map(toEntry);
  }

  /**
   * Replaces the state of `origin` with `next` if it is still `expected` (undefined: no state yet);
   * otherwise throws WITNESS_CONFLICT with the current size. Durable when this returns.
   */
  advance(origin: string, expected: WitnessLogState | undefined, next: WitnessLogState): void {
    this.db
      .transaction(() => {
        const current = this.getLog(origin)?.state;
        const same =
          current === undefined || expected === undefined
            ? current === expected
            : current.size === expected.size && bytesEqual(current.rootHash, expected.rootHash);
        if (!same) {
          throw new CustosError('WITNESS_CONFLICT', `the witness state of ${origin} changed concurrently`, {
            details: { origin, size: current?.size ?? 0 },
          });
        }
        this.db
          .prepare(
            `INSERT INTO witness_state (origin, size, root_hash, note, cosigned_at) VALUES (?, ?, ?, ?, ?)
             ON CONFLICT (origin) DO UPDATE SET size = excluded.size, root_hash = excluded.root_hash,
               note = excluded.note, cosigned_at = excluded.cosigned_at`,
          )
          .run(origin, next.size, Buffer.from(next.rootHash), next.note, next.cosignedAt);
      })
      .immediate();
  }

  close(): void {
    this.db.close();
  }
}

function toEntry(row: LogRow): WitnessLogEntry {
  const state =
    row.size === null || row.root_hash === null || row.note === null || row.cosigned_at === null
      ? undefined
      : {
          size: row.size,
          rootHash: new Uint8Array(row.root_hash),
          note: row.note,
          cosignedAt: row.cosigned_at,
        };
  return { origin: row.origin, verifierKey: row.vkey, state };
}
