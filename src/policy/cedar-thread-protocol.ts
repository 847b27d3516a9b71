/** The messages between cedar-thread.ts and its worker (cedar-thread-worker.ts), and the worker's side. */
import type { AuthorizationAnswer } from '@cedar-policy/cedar-wasm/nodejs';
import { authorize, isWasmTrap, type CedarRequest, type PreparedPolicies } from './cedar-engine.js';

export type ToThread =
  /** A bundle's texts, sent once per worker before the first call that names its hash. */
  | { readonly kind: 'bundle'; readonly bundle: PreparedPolicies }
  | { readonly kind: 'calls'; readonly id: number; readonly calls: readonly ThreadCall[] };

export interface ThreadCall {
  readonly hash: string;
  readonly namespace: string;
  readonly request: CedarRequest;
}

/** Cedar's answer, or what authorize threw (and whether it was a wasm trap). */
export type ThreadAnswer =
  { readonly answer: AuthorizationAnswer } | { readonly error: string; readonly trap: boolean };

export interface FromThread {
  readonly id: number;
  /** One per call, in order. */
  readonly answers: readonly ThreadAnswer[];
}

/**
 * The worker's side: keeps the bundles it is sent and answers each batch of calls with
 * cedar-engine.ts's authorize, the very function decide() calls on the caller's thread. A call that
 * throws is answered with its message and whether it was a wasm trap, so the caller decides as
 * decide() would.
 */
export class ThreadState {
  private readonly bundles = new Map<string, PreparedPolicies>();

  /** The reply to a message: none to a bundle. */
  respond(message: ToThread): FromThread | undefined {
    if (message.kind === 'bundle') {
      this.bundles.set(message.bundle.hash, message.bundle);
      return undefined;
    }
    const answers = message.calls.map((call): ThreadAnswer => {
      const bundle = this.bundles.get(call.hash);
      if (bundle === undefined) return { error: `bundle ${call.hash} was never sent`, trap: false };
      try {
        return { answer: authorize(bundle, call.namespace, call.request) };
      } catch (e) {
        return { error: e instanceof Error ? e.message : String(e), trap: isWasmTrap(e) };
      }
    });
    return { id: message.id, answers };
  }
}
