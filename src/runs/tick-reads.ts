/**
 * Reads that many runs make at the same moment, made once. Keys asked for during one turn of the
 * event loop are fetched together when it ends (one query for many runs, or one read per distinct
 * key), and every caller gets its own answer. Each read is issued after the call that asked for
 * it, never before: nobody gets an answer older than their question.
 */
export class TickLoader<K, V> {
  private pending = new Map<string, { key: K; waiters: Waiter<V>[] }>();
  private scheduled = false;

  /** `fetch` answers many keys at once, by `id(key)`; a missing key reads as undefined. */
  constructor(
    private readonly fetch: (keys: readonly K[]) => Promise<ReadonlyMap<string, V>>,
    private readonly id: (key: K) => string,
  ) {}

  load(key: K): Promise<V | undefined> {
    return new Promise<V | undefined>((resolve, reject) => {
      const name = this.id(key);
      const entry = this.pending.get(name);
      if (entry === undefined) this.pending.set(name, { key, waiters: [{ resolve, reject }] });
      else entry.waiters.push({ resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => void this.flush());
      }
    });
  }

  private async flush(): Promise<void> {
    const batch = this.pending;
    this.pending = new Map();
    this.scheduled = false;
    let found: ReadonlyMap<string, V>;
    try {
      found = await this.fetch([...batch.values()].map((e) => e.key));
    } catch (e) {
      for (const entry of batch.values()) for (const w of entry.waiters) w.reject(e);
      return;
    }
    for (const [name, entry] of batch) for (const w of entry.waiters) w.resolve(found.get(name));
  }
}

interface Waiter<V> {
  readonly resolve: (value: V | undefined) => void;
  readonly reject: (e: unknown) => void;
}

/** Fetches distinct keys one read each, together (for stores that answer one key at a time). */
export function eachOnce<V>(
  read: (key: string) => Promise<V | undefined>,
): (keys: readonly string[]) => Promise<Map<string, V>> {
  return async (keys) => {
    const values = await Promise.all(keys.map(read));
    const out = new Map<string, V>();
    keys.forEach((k, i) => {
      const v = values[i];
      if (v !== undefined) out.set(k, v);
    });
    return out;
  };
}
