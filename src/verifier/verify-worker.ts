/**
 * The worker thread of the parallel verifier (parallel.ts): decodes each chunk it is sent
 * (parallel-chunk.ts) and sends the chunk and its results back, transferring the buffers.
 */
import { parentPort } from 'node:worker_threads';
import { decodeChunk, type ChunkJob } from './parallel-chunk.js';

const port = parentPort;
if (port === null) throw new Error('verify-worker.ts runs as a worker thread of parallel.ts');

port.on('message', (job: ChunkJob) => {
  const done = decodeChunk(job);
  const transfer: ArrayBuffer[] = [done.results, done.refs];
  if (done.buffer instanceof ArrayBuffer) transfer.push(done.buffer);
  port.postMessage(done, transfer);
});
