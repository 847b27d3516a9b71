import { describe, expect, it } from 'vitest';
import { isCustosError } from '../core/errors.js';
import { RateLimiter } from './rate-limit.js';

describe('token bucket', () => {
  it('allows a burst, then refills at its rate, per key', () => {
    let now = 0;
    const limiter = new RateLimiter({ burst: 3, perSecond: 2 }, () => now);
    for (let i = 0; i < 3; i++) limiter.take('a');
    const refused = (() => {
      try {
        limiter.take('a');
        return undefined;
      } catch (e) {
        return e;
      }
    })();
    expect(isCustosError(refused, 'RATE_LIMITED')).toBe(true);
    expect((refused as { details: { retryAfter: number } }).details.retryAfter).toBe(1);
    limiter.take('b'); // another key has its own bucket
    now = 499;
    expect(() => limiter.take('a')).toThrow();
    now = 999; // 1.998 tokens: one request, not two
    limiter.take('a');
    expect(() => limiter.take('a')).toThrow();
    now += 10_000; // never more than the burst
    for (let i = 0; i < 3; i++) limiter.take('a');
    expect(() => limiter.take('a')).toThrow();
  });

  it('forgets the least recently used keys beyond its bound', () => {
    const limiter = new RateLimiter({ burst: 1, perSecond: 0.001, maxKeys: 2 }, () => 0);
    limiter.take('a');
    limiter.take('b');
    limiter.take('c'); // drops a
    limiter.take('a'); // a full bucket again
    expect(() => limiter.take('c')).toThrow();
  });

  it('refuses nonsense settings', () => {
    expect(() => new RateLimiter({ burst: 0, perSecond: 1 })).toThrow(TypeError);
    expect(() => new RateLimiter({ burst: 1, perSecond: 0 })).toThrow(TypeError);
  });
});
