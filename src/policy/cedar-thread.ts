/**
 * Cedar on a thread of its own, so that a busy engine's policy evaluation does not hold up its event
 * loop: with many runs in flight, Cedar was the largest single cost on the engine's thread (about a
 * sixth of it; bench/RESULTS.md).
 *
 * The decision is the same: the worker (cedar-thread-worker.ts) runs cedar-engine.ts's authorize
 * with the same bundle texts, so only where Cedar runs changes (decideWith in decide.ts). Calls made
 * while the event loop turns are sent together, one message per batch; a bundle's texts are sent
 * once per worker, before the first call that names it. The worker is started on first use.
 *
 * Fail closed: if the worker dies, every call it held fails with INTERNAL_ERROR (retryable, and a
 * failed decision writes nothing); the next call starts a new worker, which is sent the bundles
 * again. After close(), calls fail.
 */
import type { Worker } from 'node:worker_threads';
import type { AuthorizationAnswer } from '@cedar-policy/cedar-wasm/nodejs';
import { CustosError } from '../core/errors.js';
import { startThread } from '../core/thread.js';
import type { CedarRequest, PreparedPolicies } from './cedar-engine.js';
import type { FromThread, ThreadAnswer, ToThread } from './cedar-thread-protocol.js';
import type { CedarEvaluator } from './decide.js';

interface Pending {
  readonly bundle: PreparedPolicies;
  readonly namespace: string;
  readonly request: CedarRequest;
  readonly resolve: (answer: AuthorizationAnswer) => void;
  readonly reject: (e: unknown) => void;
}

export interface CedarThreadOptions {
  /** The worker module (startThread's arguments; default cedar-thread-worker here): tests substitute one. */
  readonly worker?: { readonly base: string; readonly name: string };
}

export class CedarThread {
  private worker: Worker | undefined;
  /** The bundle hashes the current worker has been sent. */
  private sent = new Set<string>();
  private queue: Pending[] = [];
  private readonly inFlight = new Map<number, Pending[]>();
  private nextId = 0;
  private flushing = false;
  private closed = false;

  constructor(private readonly options: CedarThreadOptions = {}) {}

  /** A CedarEvaluator for decideWith. */
  readonly evaluate: CedarEvaluator = (bundle, namespace, request) =>
    new Promise<AuthorizationAnswer>((resolve, reject) => {
      if (this.closed) {
        reject(new CustosError('INTERNAL_ERROR', 'the policy thread is closed'));
        return;
      }
      this.queue.push({ bundle, namespace, request, resolve, reject });
      if (!this.flushing) {
        this.flushing = true;
        // Calls made in this turn of the event loop go together.
        setImmediate(() => {
          this.flush();
        });
      }
    });

  /** Stops the worker; calls still waiting fail. */
  async close(): Promise<void> {
    this.closed = true;
    const worker = this.worker;
    this.fail(new CustosError('INTERNAL_ERROR', 'the policy thread was closed'));
    if (worker !== undefined) await worker.terminate();
  }

  private flush(): void {
    this.flushing = false;
    const batch = this.queue;
    this.queue = [];
    if (batch.length === 0) return;
    let worker: Worker;
    try {
      worker = this.started();
      for (const { bundle } of batch) {
        if (this.sent.has(bundle.hash)) continue;
        const { hash, schemaText, policies } = bundle;
        post(worker, { kind: 'bundle', bundle: { hash, schemaText, policies } });
        this.sent.add(bundle.hash);
      }
      const id = this.nextId++;
      const calls = batch.map(({ bundle, namespace, request }) => ({
        hash: bundle.hash,
        namespace,
        request,
      }));
      post(worker, { kind: 'calls', id, calls });
      this.inFlight.set(id, batch);
      worker.ref();
    } catch (e) {
      const error = new CustosError('INTERNAL_ERROR', 'the policy thread could not be reached', { cause: e });
      for (const pending of batch) pending.reject(error);
    }
  }

  private started(): Worker {
    if (this.worker !== undefined) return this.worker;
    const { base, name } = this.options.worker ?? { base: import.meta.url, name: 'cedar-thread-worker' };
    const worker = startThread(base, name);
    worker.on('message', (reply: FromThread) => {
      this.settle(reply);
    });
    const lost = (why: string): void => {
      if (this.worker !== worker) return;
      this.worker = undefined;
      this.sent = new Set();
      this.fail(new CustosError('INTERNAL_ERROR', `the policy thread stopped: ${why}`, { retryable: true }));
    };
    worker.on('error', (e) => {
      lost(e.message);
    });
    worker.on('exit', (code) => {
      lost(`exit code ${code}`);
    });
    this.worker = worker;
    return worker;
  }

  private settle(reply: FromThread): void {
    const batch = this.inFlight.get(reply.id);
    if (batch === undefined) return;
    this.inFlight.delete(reply.id);
    // Idle, the worker does not keep the process alive.
    if (this.inFlight.size === 0) this.worker?.unref();
    for (const [i, pending] of batch.entries()) {
      const answer = reply.answers[i];
      if (answer === undefined)
        pending.reject(new CustosError('INTERNAL_ERROR', 'the policy thread lost a call'));
      else settleOne(pending, answer);
    }
  }

  /** Fails every call held or queued. */
  private fail(error: CustosError): void {
    const held = [...this.inFlight.values()].flat().concat(this.queue);
    this.inFlight.clear();
    this.queue = [];
    for (const pending of held) pending.reject(error);
  }
}

function post(worker: Worker, message: ToThread): void {
  worker.postMessage(message);
}

/** What authorize returned or threw on the worker, as it would have on this thread. */
function settleOne(pending: Pending, answer: ThreadAnswer): void {
  if ('answer' in answer) {
    pending.resolve(answer.answer);
    return;
  }
  const error = new Error(answer.error);
  // isWasmTrap recognises a trap by its name (WebAssembly.RuntimeError), as on this thread.
  if (answer.trap) error.name = 'RuntimeError';
  pending.reject(error);
}
