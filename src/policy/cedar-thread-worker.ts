/**
 * The policy thread (cedar-thread.ts): holds its own preparsed Cedar sets (the wasm module's cache is
 * per thread) and answers each batch of calls (cedar-thread-protocol.ts's respond).
 */
import { parentPort } from 'node:worker_threads';
import { ThreadState, type ToThread } from './cedar-thread-protocol.js';

const port = parentPort;
if (port === null) throw new Error('cedar-thread-worker.ts runs as a worker thread of cedar-thread.ts');

const state = new ThreadState();
port.on('message', (message: ToThread) => {
  const reply = state.respond(message);
  if (reply !== undefined) port.postMessage(reply);
});
