/**
 * Group commit for the token issuer. The issuer has one connection; calls that arrive while it is
 * busy wait in a queue per kind (reading prior states, applying, verifying), and when the
 * connection is free the whole queue of a kind is handled at once: one transaction and a few
 * statements for up to MAX_BATCH steps instead of a transaction each (token-apply.ts,
 * token-verify.ts). Each caller still gets its own result or its own error.
 *
 * Applying keeps one lane per identity: a batch holds at most one step of an identity, the next
 * waits for the following batch, so every effect is computed against the state its predecessors
 * left — as when steps ran one at a time.
 */
import type { TokenStore } from './token-store.js';

export const MAX_BATCH = 64;

interface Waiting<I, O> {
  readonly item: I;
  readonly resolve: (value: O) => void;
  readonly reject: (e: unknown) => void;
}

export class Coalescer<I, O> {
  private queue: Waiting<I, O>[] = [];
  private scheduled = false;

  /**
   * `handle` gets the batch while the caller holds the store's connection; `laneOf` names what at
   * most one item of a batch may touch.
   */
  constructor(
    private readonly store: TokenStore,
    private readonly handle: (items: readonly I[]) => Promise<PromiseSettledResult<O>[]>,
    private readonly laneOf?: (item: I) => string,
  ) {}

  submit(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    // Let callers arriving in the same turn of the event loop join the batch (as the ledger does).
    setImmediate(() => {
      this.store.serial(() => this.drain()).catch(() => undefined);
    });
  }

  private async drain(): Promise<void> {
    this.scheduled = false;
    const taken = this.take();
    if (this.queue.length > 0) this.schedule();
    let results: PromiseSettledResult<O>[];
    try {
      results = await this.handle(taken.map((w) => w.item));
    } catch (e) {
      for (const w of taken) w.reject(e);
      return;
    }
    results.forEach((r, i) => {
      if (r.status === 'fulfilled') taken[i]!.resolve(r.value);
      else taken[i]!.reject(r.reason);
    });
  }

  /** Up to MAX_BATCH waiting items in arrival order, one per lane; the rest keep their place. */
  private take(): Waiting<I, O>[] {
    const taken: Waiting<I, O>[] = [];
    const rest: Waiting<I, O>[] = [];
    const lanes = new Set<string>();
    for (const w of this.queue) {
      const lane = this.laneOf?.(w.item);
      if (taken.length >= MAX_BATCH || (lane !== undefined && lanes.has(lane))) rest.push(w);
      else {
        if (lane !== undefined) lanes.add(lane);
        taken.push(w);
      }
    }
    this.queue = rest;
    return taken;
  }
}

/** All fulfilled, in order (a batch that fails as a whole throws instead). */
export function fulfilled<O>(values: readonly O[]): PromiseSettledResult<O>[] {
  return values.map((value) => ({ status: 'fulfilled', value }));
}
