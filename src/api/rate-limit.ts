/**
 * Per-credential rate limits: a token bucket per key (an API token id, or the client address for
 * requests without a valid token). A bucket holds `burst` requests and refills at `perSecond`;
 * an empty one answers 429 with Retry-After. Buckets live in memory, per process (several
 * processes behind a balancer each apply the limit); the least recently used are dropped beyond
 * `maxKeys`, which only ever forgives.
 */
import { CustosError } from '../core/errors.js';

export interface RateLimitOptions {
  readonly burst: number;
  readonly perSecond: number;
  readonly maxKeys?: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private readonly options: RateLimitOptions,
    private readonly clock: () => number = () => performance.now(),
  ) {
    if (!(options.burst >= 1) || !(options.perSecond > 0))
      throw new TypeError('rate limit: burst >= 1, perSecond > 0');
  }

  /** Takes one request from `key`'s bucket, or throws RATE_LIMITED with the seconds to wait. */
  take(key: string): void {
    const now = this.clock();
    const { burst, perSecond } = this.options;
    const bucket = this.buckets.get(key) ?? { tokens: burst, at: now };
    bucket.tokens = Math.min(burst, bucket.tokens + ((now - bucket.at) / 1000) * perSecond);
    bucket.at = now;
    this.buckets.delete(key);
    this.buckets.set(key, bucket);
    this.evict();
    if (bucket.tokens < 1) {
      const retryAfter = Math.max(1, Math.ceil((1 - bucket.tokens) / perSecond));
      throw new CustosError('RATE_LIMITED', `too many requests: retry in ${retryAfter} s`, {
        retryable: true,
        details: { retryAfter },
      });
    }
    bucket.tokens -= 1;
  }

  private evict(): void {
    const max = this.options.maxKeys ?? 10_000;
    while (this.buckets.size > max) {
      const oldest = this.buckets.keys().next().value;
      if (oldest === undefined) return;
      this.buckets.delete(oldest);
    }
  }
}
