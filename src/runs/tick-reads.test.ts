import { describe, expect, it } from 'vitest';
import { TickLoader, eachOnce } from './tick-reads.js';

describe('TickLoader', () => {
  it('fetches the keys asked for in one turn together, each once, and answers every caller', async () => {
    const fetched: string[][] = [];
    const loader = new TickLoader<string, string>((keys) => {
      fetched.push([...keys]);
      return Promise.resolve(new Map(keys.filter((k) => k !== 'missing').map((k) => [k, k.toUpperCase()])));
    }, String);
    const answers = await Promise.all(['a', 'b', 'a', 'missing'].map((k) => loader.load(k)));
    expect(answers).toEqual(['A', 'B', 'A', undefined]);
    expect(fetched).toEqual([['a', 'b', 'missing']]);
    // A later question is read afresh, never answered from an earlier read.
    expect(await loader.load('a')).toBe('A');
    expect(fetched).toHaveLength(2);
  });

  it('a failed read fails the callers of that turn only', async () => {
    let fail = true;
    const loader = new TickLoader<string, number>(
      eachOnce((k) => (fail ? Promise.reject(new Error('store down')) : Promise.resolve(k.length))),
      String,
    );
    const first = await Promise.allSettled([loader.load('x'), loader.load('yy')]);
    expect(first.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    fail = false;
    expect(await loader.load('yy')).toBe(2);
  });
});
