/**
 * Idempotency keys (draft-ietf-httpapi-idempotency-key-header): every write over HTTP carries an
 * `Idempotency-Key`. The first request with a key reserves it (per principal) with a hash of its
 * method, path and canonical body; its answer is stored with it. The same key again returns the
 * stored answer; the same key with another request is IDEMPOTENCY_KEY_REUSED (422); a key whose
 * first request is still running is IDEMPOTENCY_KEY_IN_USE (409). Only answers of requests that
 * ran are kept (success, or a refusal by the service); a failure that may succeed later releases
 * the key. Secrets in an answer (an issued credential, a new API token) are shown once: the stored
 * copy withholds them. Keys expire after `ttlSeconds`.
 */
import crypto from 'node:crypto';
import { canonicalize } from '../core/canonical-json.js';
import { CustosError } from '../core/errors.js';
import type { Ledger } from '../ledger/ledger.js';
import type { OperationName } from '../service/index.js';

export const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,128}$/;
export const WITHHELD = '[withheld: shown once]';

export interface StoredAnswer {
  readonly status: number;
  readonly body: unknown;
}

export type Reservation =
  { readonly kind: 'reserved' } | { readonly kind: 'replay'; readonly answer: StoredAnswer };

export interface IdempotencyOptions {
  readonly ttlSeconds: number;
  /** A reservation older than this whose request never finished (a crash) may be taken over. */
  readonly abandonedSeconds: number;
  readonly now: () => Date;
}

export class IdempotencyStore {
  private lastSweep = 0;

  constructor(
    private readonly ledger: Ledger,
    private readonly options: IdempotencyOptions,
  ) {}

  static requestHash(method: string, path: string, input: unknown): string {
    const text = `${method} ${path} ${canonicalize(input)}`;
    return crypto.createHash('sha256').update(text, 'utf8').digest('hex');
  }

  async reserve(principal: string, key: string, hash: string): Promise<Reservation> {
    await this.sweep();
    const now = this.options.now();
    const abandoned = new Date(now.getTime() - this.options.abandonedSeconds * 1000).toISOString();
    const { value } = await this.ledger.transact(async (tx) => {
      await tx.run(
        'DELETE FROM api_idempotency WHERE principal = ? AND idem_key = ? AND status IS NULL AND created_at < ?',
        [principal, key, abandoned],
      );
      const inserted = await tx.run(
        `INSERT INTO api_idempotency (principal, idem_key, request_hash, status, response, created_at)
         VALUES (?, ?, ?, NULL, NULL, ?) ON CONFLICT (principal, idem_key) DO NOTHING`,
        [principal, key, hash, now.toISOString()],
      );
      if (inserted === 1) return undefined;
      const rows = await tx.query<{ request_hash: string; status: number | null; response: string | null }>(
        'SELECT request_hash, status, response FROM api_idempotency WHERE principal = ? AND idem_key = ?',
        [principal, key],
      );
      return rows[0];
    });
    if (value === undefined) return { kind: 'reserved' };
    if (value.request_hash !== hash) {
      throw new CustosError('IDEMPOTENCY_KEY_REUSED', 'this Idempotency-Key was used for another request', {
        details: { field: 'Idempotency-Key' },
      });
    }
    if (value.status === null || value.response === null) {
      throw new CustosError(
        'IDEMPOTENCY_KEY_IN_USE',
        'a request with this Idempotency-Key is still running',
        {
          retryable: true,
        },
      );
    }
    return { kind: 'replay', answer: { status: value.status, body: JSON.parse(value.response) } };
  }

  async complete(
    principal: string,
    key: string,
    operation: OperationName,
    answer: StoredAnswer,
  ): Promise<void> {
    const body = JSON.stringify(withhold(operation, answer.body));
    await this.ledger.transact((tx) =>
      tx.run('UPDATE api_idempotency SET status = ?, response = ? WHERE principal = ? AND idem_key = ?', [
        answer.status,
        body,
        principal,
        key,
      ]),
    );
  }

  async release(principal: string, key: string): Promise<void> {
    await this.ledger.transact((tx) =>
      tx.run('DELETE FROM api_idempotency WHERE principal = ? AND idem_key = ? AND status IS NULL', [
        principal,
        key,
      ]),
    );
  }

  /** At most once a minute: drops expired keys. */
  private async sweep(): Promise<void> {
    const now = this.options.now().getTime();
    if (now - this.lastSweep < 60_000) return;
    this.lastSweep = now;
    const expired = new Date(now - this.options.ttlSeconds * 1000).toISOString();
    await this.ledger.transact((tx) => tx.run('DELETE FROM api_idempotency WHERE created_at < ?', [expired]));
  }
}

/** The answer as stored: secret values replaced (they were shown once, to the first request). */
export function withhold(operation: OperationName, body: unknown): unknown {
  if (body === null || typeof body !== 'object') return body;
  const record = body as Record<string, unknown>;
  if (operation === 'issueApiToken') return { ...record, token: WITHHELD };
  if (Array.isArray(record['secrets'])) {
    return {
      ...record,
      secrets: (record['secrets'] as Record<string, unknown>[]).map((s) => ({ ...s, value: WITHHELD })),
    };
  }
  return body;
}
