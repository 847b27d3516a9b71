import { describe, expect, it } from 'vitest';
import { OnceOk } from './once-ok.js';

describe('OnceOk', () => {
  it('makes the value once for every caller, and again only after a failure', async () => {
    const once = new OnceOk<number>();
    let calls = 0;
    const failing = () => Promise.reject(new Error(`down ${++calls}`));
    const both = await Promise.allSettled([once.get(failing), once.get(failing)]);
    expect(both.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(calls).toBe(1);
    const make = () => Promise.resolve(++calls);
    expect(await once.get(make)).toBe(2);
    expect(await once.get(make)).toBe(2);
    expect(calls).toBe(2);
  });
});
