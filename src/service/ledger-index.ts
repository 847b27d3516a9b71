/**
 * The ledger index: a projection of the ledger (one row per record: its correlation id, type and
 * time, and for a failed run step the target system) kept in `ledger_index`. It is caught up from
 * the records themselves, on demand, so a run's records and the metrics are read without scanning
 * the log; the ledger stays the only source of truth. Rows are inserted with ON CONFLICT DO NOTHING,
 * so processes sharing one database may catch up at once.
 */
import type { Ledger } from '../ledger/ledger.js';
import { readRecords } from '../ledger/ledger-reader.js';
import type { LedgerRecord } from '../ledger/record.js';
import type { Sql, SqlParam } from '../store/sql.js';

interface IndexRow {
  readonly idx: number;
  readonly correlationId: string;
  readonly type: string;
  readonly time: string;
  readonly target: string | null;
}

const BATCH = 1000;
const ROWS_PER_INSERT = 200;
/** A run has far fewer; a correlation id shared by an import may have many. */
const MAX_RECORDS = 10_000;

export class LedgerIndex {
  private queue: Promise<void> = Promise.resolve();

  constructor(private readonly ledger: Ledger) {}

  /** Indexes every record appended since the last pass (passes in this process run one at a time). */
  catchUp(): Promise<void> {
    const pass = this.queue.then(() => this.pass());
    this.queue = pass.catch(() => undefined);
    return pass;
  }

  /** The records of one correlation id (a run, a bundle, an import), in order. */
  async records(correlationId: string): Promise<LedgerRecord[]> {
    await this.catchUp();
    const read = this.ledger.store.read;
    const ids = await read.query<{ idx: number }>(
      'SELECT idx FROM ledger_index WHERE correlation_id = ? ORDER BY idx LIMIT ?',
      [correlationId, MAX_RECORDS],
    );
    const out: LedgerRecord[] = [];
    for (let i = 0; i < ids.length; i += 500) {
      const chunk = ids.slice(i, i + 500).map((r) => r.idx);
      const rows = await read.query<{ idx: number; data: Uint8Array }>(
        `SELECT idx, data FROM ledger_records WHERE idx IN (${chunk.map(() => '?').join(', ')}) ORDER BY idx`,
        chunk,
      );
      for (const row of rows) out.push(JSON.parse(Buffer.from(row.data).toString('utf8')) as LedgerRecord);
    }
    return out;
  }

  private async pass(): Promise<void> {
    const read = this.ledger.store.read;
    const size = await this.ledger.size();
    const [last] = await read.query<{ last: number | null }>('SELECT MAX(idx) AS last FROM ledger_index');
    const [first] = await read.query<{ first: number | null }>(
      'SELECT MIN(idx) AS first FROM ledger_records',
    );
    let from = Math.max(last?.last == null ? 0 : last.last + 1, first?.first ?? 0);
    while (from < size) {
      const to = Math.min(size, from + BATCH);
      const rows: IndexRow[] = [];
      for await (const record of readRecords(read, from, to, BATCH)) {
        rows.push(await indexRow(read, record.index, record.bytes));
      }
      await this.ledger.transact(async (tx) => {
        for (let i = 0; i < rows.length; i += ROWS_PER_INSERT)
          await insertRows(tx, rows.slice(i, i + ROWS_PER_INSERT));
      });
      from = to;
    }
  }
}

/** One record's row. Unparseable bytes are indexed as `invalid` (verification reports them). */
async function indexRow(read: Sql, idx: number, bytes: Uint8Array): Promise<IndexRow> {
  let record: Partial<LedgerRecord>;
  try {
    record = JSON.parse(Buffer.from(bytes).toString('utf8')) as Partial<LedgerRecord>;
  } catch {
    return { idx, correlationId: '', type: 'invalid', time: '', target: null };
  }
  const correlationId = typeof record.correlationId === 'string' ? record.correlationId : '';
  const type = typeof record.type === 'string' ? record.type : 'invalid';
  const time = typeof record.time === 'string' ? record.time : '';
  return {
    idx,
    correlationId,
    type,
    time,
    target: type === 'run.failed' ? await failedTarget(read, correlationId, record) : null,
  };
}

/** The system of the step a `run.failed` record names (its payload's `step`). */
async function failedTarget(read: Sql, runId: string, record: Partial<LedgerRecord>): Promise<string> {
  const step = record.payload?.['step'];
  if (typeof step !== 'string') return 'unknown';
  const rows = await read.query<{ system_id: string }>(
    'SELECT system_id FROM run_steps WHERE run_id = ? AND step_id = ?',
    [runId, step],
  );
  return rows[0]?.system_id ?? 'unknown';
}

async function insertRows(tx: Sql, rows: readonly IndexRow[]): Promise<void> {
  if (rows.length === 0) return;
  const params: SqlParam[] = rows.flatMap((r) => [r.idx, r.correlationId, r.type, r.time, r.target]);
  await tx.run(
    `INSERT INTO ledger_index (idx, correlation_id, type, time, target) VALUES ${rows.map(() => '(?, ?, ?, ?, ?)').join(', ')}
     ON CONFLICT (idx) DO NOTHING`,
    params,
  );
}
