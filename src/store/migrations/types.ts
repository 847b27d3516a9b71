/** Column types per dialect, so each migration is written once for SQLite and PostgreSQL. */
import type { Dialect } from '../sql.js';

export interface Types {
  readonly bytes: string;
  readonly int: string;
  readonly text: string;
}

export const TYPES: Record<Dialect, Types> = {
  sqlite: { bytes: 'BLOB', int: 'INTEGER', text: 'TEXT' },
  postgres: { bytes: 'BYTEA', int: 'BIGINT', text: 'TEXT' },
};

export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly statements: (t: Types) => readonly string[];
}
