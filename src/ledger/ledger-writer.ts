/**
 * Group commit. Callers hand the writer a transaction body; bodies that arrive while a commit is
 * in flight are run back to back inside ONE database transaction, each in its own savepoint
 * (opened lazily, so a body that only appends records costs no round trip; none for a body alone
 * in its transaction, which is rolled back whole if it throws), then their records
 * are sequenced and the transaction commits once — one fsync for many callers. A body that throws
 * is rolled back alone; if sequencing or the commit fails, every body in the batch fails with
 * LEDGER_APPEND_FAILED and nothing is written (fail closed: no record, no change).
 *
 * Bodies must be short and touch only the database: they run one after another.
 */
import { decodeBase64Strict, bytesEqual } from '../core/bytes.js';
import { CustosError } from '../core/errors.js';
import { validateDraft, type RecordDraft } from './record.js';
import { assertNoSecrets, commit as commitValue } from './secrets.js';
import { prepareDraft, sequenceAndCommit, type AppendedRecord, type PreparedDraft } from './sequencer.js';
import {
  CommitOutcomeUnknown,
  type Row,
  type Sql,
  type SqlParam,
  type WriteConnection,
} from '../store/sql.js';

export interface LedgerTx extends Sql {
  /** Queues a record; it is written, with its index, when the transaction commits. */
  append(draft: RecordDraft): Promise<void>;
  /** Stores personal data in the vault and returns the salted commitment to put in a record. */
  commitPersonalData(value: string): Promise<string>;
  /**
   * Runs `fn` in a savepoint of its own: if it throws, what it wrote and the records it queued are
   * undone and the transaction carries on (the error is rethrown). Lets one body of a group commit
   * isolate the parts it does for different callers.
   */
  isolated<T>(fn: () => Promise<T>): Promise<T>;
}

export interface Committed<T> {
  readonly value: T;
  readonly records: readonly AppendedRecord[];
}

interface Unit {
  readonly fn: (tx: LedgerTx) => Promise<unknown>;
  readonly resolve: (c: Committed<unknown>) => void;
  readonly reject: (e: unknown) => void;
  value?: unknown;
  drafts: PreparedDraft[];
  failed?: unknown;
}

export interface LedgerWriterDeps {
  readonly conn: WriteConnection;
  readonly now: () => Date;
  readonly maxBatch?: number;
}

export class LedgerWriter {
  private readonly queue: Unit[] = [];
  private draining: Promise<void> | undefined;
  private readonly maxBatch: number;

  constructor(private readonly deps: LedgerWriterDeps) {
    this.maxBatch = deps.maxBatch ?? 4096;
  }

  transact<T>(fn: (tx: LedgerTx) => Promise<T>): Promise<Committed<T>> {
    return new Promise<Committed<T>>((resolve, reject) => {
      this.queue.push({ fn, resolve: resolve as (c: Committed<unknown>) => void, reject, drafts: [] });
      this.draining ??= this.drain();
    });
  }

  async append(draft: RecordDraft): Promise<AppendedRecord> {
    const { records } = await this.transact((tx) => tx.append(draft));
    return records[0]!;
  }

  /** Resolves when every queued transaction has settled. */
  async idle(): Promise<void> {
    while (this.draining) await this.draining;
  }

  /**
   * Runs batches while callers queue. A batch's callers are answered once the next batch has been
   * started, from the event loop's next check phase (or when that batch ends, if sooner): what they
   * do next (often a good deal of work before their next await) then runs while the next batch's
   * first statements are at the database, instead of before they are sent. Batches are answered in
   * order, and all before the drain ends.
   */
  private async drain(): Promise<void> {
    let settle: (() => void) | undefined;
    let deferred: (() => void) | undefined;
    const answer = () => {
      const waiting = deferred;
      deferred = undefined;
      waiting?.();
    };
    try {
      // Let callers that are arriving in the same tick join the first batch.
      await new Promise<void>((r) => setImmediate(r));
      while (this.queue.length > 0) {
        const running = this.runBatch(this.queue.splice(0, this.maxBatch));
        if (settle !== undefined) {
          deferred = settle;
          settle = undefined;
          setImmediate(answer);
        }
        settle = await running;
        answer();
      }
    } finally {
      // Synchronously after the last emptiness check: a caller queued later starts a new drain.
      this.draining = undefined;
      answer();
      settle?.();
    }
  }

  /** Runs one batch; returns what answers its callers, committed or failed. */
  private async runBatch(batch: Unit[]): Promise<() => void> {
    const { conn, now } = this.deps;
    let appended: AppendedRecord[];
    // A unit alone in its transaction needs no savepoint: if it throws, the transaction is rolled back.
    const alone = batch.length === 1 ? batch[0] : undefined;
    try {
      await conn.begin();
      for (const [i, unit] of batch.entries()) await this.runUnit(unit, alone ? undefined : `u${i}`);
      if (alone?.failed !== undefined) {
        await conn.rollback().catch(() => undefined);
        const failed: unknown = alone.failed;
        return () => {
          alone.reject(failed);
        };
      }
      const ok = batch.filter((u) => u.failed === undefined);
      const drafts = ok.flatMap((u) => u.drafts);
      if (drafts.length > 0) appended = await sequenceAndCommit(conn, drafts, now);
      else {
        appended = [];
        await conn.commit().catch((e: unknown) => {
          throw new CommitOutcomeUnknown(e);
        });
      }
    } catch (cause) {
      await conn.rollback().catch(() => undefined);
      // A COMMIT that fails (e.g. the connection dropped) may or may not have been applied: say so,
      // so that callers verify before retrying instead of assuming nothing happened.
      const error =
        cause instanceof CommitOutcomeUnknown
          ? new CustosError(
              'LEDGER_APPEND_FAILED',
              'the commit failed; whether the change was recorded is unknown',
              {
                cause,
                retryable: true,
                details: { outcome: 'unknown' },
              },
            )
          : new CustosError(
              'LEDGER_APPEND_FAILED',
              'the ledger could not record the change; nothing was written',
              {
                cause,
                retryable: true,
                details: { outcome: 'not_written' },
              },
            );
      return () => {
        for (const unit of batch) unit.reject(unit.failed ?? error);
      };
    }
    const committed = appended;
    return () => {
      let next = 0;
      for (const unit of batch) {
        if (unit.failed !== undefined) {
          unit.reject(unit.failed);
          continue;
        }
        const records = committed.slice(next, next + unit.drafts.length);
        next += unit.drafts.length;
        unit.resolve({ value: unit.value, records });
      }
    };
  }

  private async runUnit(unit: Unit, savepoint: string | undefined): Promise<void> {
    const tx = new UnitTx(this.deps.conn, savepoint, this.deps.now, unit.drafts);
    try {
      unit.value = await unit.fn(tx);
      tx.close();
      if (tx.opened && savepoint !== undefined) await this.deps.conn.release(savepoint);
    } catch (e) {
      tx.close();
      unit.failed = e;
      unit.drafts.length = 0;
      if (tx.opened && savepoint !== undefined) await this.deps.conn.rollbackTo(savepoint);
    }
  }
}

class UnitTx implements LedgerTx {
  readonly dialect;
  opened = false;
  private opening: Promise<void> | undefined;
  private closed = false;
  private nested = 0;

  /** `savepoint`: the unit's own, opened at its first statement; none when it is alone. */
  constructor(
    private readonly conn: WriteConnection,
    private readonly savepoint: string | undefined,
    private readonly now: () => Date,
    private readonly drafts: PreparedDraft[],
  ) {
    this.dialect = conn.dialect;
  }

  close(): void {
    this.closed = true;
  }

  /**
   * Resolves when the unit's savepoint is open. Every statement waits for the same promise, so
   * statements a body issues together (the connection may send them before the first is
   * answered) reach the server in the order they were issued.
   */
  private open(): Promise<void> {
    if (this.closed) return Promise.reject(new TypeError('transaction used after its body returned'));
    if (this.opening === undefined) {
      this.opened = true;
      this.opening = this.savepoint === undefined ? Promise.resolve() : this.conn.savepoint(this.savepoint);
    }
    return this.opening;
  }

  async query<T extends Row = Row>(sql: string, params?: readonly SqlParam[]): Promise<T[]> {
    await this.open();
    return this.conn.query<T>(sql, params);
  }

  async run(sql: string, params?: readonly SqlParam[]): Promise<number> {
    await this.open();
    return this.conn.run(sql, params);
  }

  async append(draft: RecordDraft): Promise<void> {
    if (this.closed) throw new TypeError('transaction used after its body returned');
    validateDraft(draft);
    assertNoSecrets(draft.payload);
    // Canonicalise now, once: fail in this body rather than in the shared commit.
    const prepared = prepareDraft(draft);
    for (const ref of draft.refs ?? []) await this.checkRef(ref.index, ref.leafHash);
    this.drafts.push(prepared);
  }

  async isolated<T>(fn: () => Promise<T>): Promise<T> {
    await this.open();
    const name = `${this.savepoint ?? 'u'}_${++this.nested}`;
    await this.conn.savepoint(name);
    const queued = this.drafts.length;
    let value: T;
    try {
      value = await fn();
    } catch (e) {
      this.drafts.length = queued;
      await this.conn.rollbackTo(name);
      throw e;
    }
    await this.conn.release(name);
    return value;
  }

  async commitPersonalData(value: string): Promise<string> {
    const { commitment, salt } = commitValue(value);
    await this.run('INSERT INTO pii_vault (commitment, salt, value, created_at) VALUES (?, ?, ?, ?)', [
      commitment,
      salt,
      value,
      this.now().toISOString(),
    ]);
    return commitment;
  }

  private async checkRef(index: number, leafHash: string): Promise<void> {
    const rows = await this.conn.query<{ hash: Uint8Array }>(
      'SELECT hash FROM ledger_nodes WHERE level = 0 AND idx = ?',
      [index],
    );
    const stored = rows[0]?.hash;
    const given = decodeBase64Strict(leafHash);
    if (stored === undefined || given === undefined || !bytesEqual(stored, given)) {
      throw new CustosError('RECORD_REF_INVALID', `ref to record ${index} does not match the ledger`, {
        details: { index },
      });
    }
  }
}
