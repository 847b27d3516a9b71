/**
 * The parallel driver of offline verification, for large full exports: the same checks and the same
 * report or first error as verifyBundle (the reference), with the per-record work spread over worker
 * threads (node:worker_threads; the sequential verifier needs only node:crypto).
 *
 * records.jsonl is cut at line boundaries into chunks of about `chunkBytes`, each sent to a worker
 * in a transferred buffer (recycled, never one copy per line; a SharedArrayBuffer is shared as it
 * is). A worker runs the position-independent checks on every line — strict UTF-8, canonical JSON,
 * a valid envelope — and computes its leaf hash (parallel-chunk.ts). This thread then takes the
 * chunks strictly in log order and, per record, checks the size bound, index == position, prev and
 * refs, folds the leaf into the compact range and checks every checkpoint root it reaches
 * (RecordChain.absorb, CheckpointRoots). A record the worker could not vouch for, or one absorb
 * refuses, goes through the reference RecordChain.push on this thread, which throws the sequential
 * verifier's error: checks run in log order here, so an error in a later chunk never hides an
 * earlier one, and the first bad index, code and message are the sequential ones.
 *
 * verifyExportDir also reads records.jsonl chunk by chunk into the recycled buffers instead of all
 * at once (readExportDir): reading 400 MB into fresh memory costs more than verifying it in parallel.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Worker } from 'node:worker_threads';
import { startThread } from '../core/thread.js';
import { CustosError } from '../core/errors.js';
import { checkManifest, type ExportBundle } from './bundle.js';
import { ChunkResults, DEFERRED, type ChunkDone, type ChunkJob } from './parallel-chunk.js';
import { readExportDir, readExportParts } from './read-dir.js';
import { FileSource, MemorySource, type ChunkSource } from './parallel-source.js';
import {
  CheckpointRoots,
  PROGRESS_EVERY,
  beyondSignedSize,
  noFinalNewline,
  openBundle,
  recordMissing,
  reportOf,
  verifyBundle,
  type BundleHead,
  type OpenedBundle,
  type Progress,
  type TrustedKeys,
  type VerifyReport,
} from './verify-bundle.js';

/** Full exports with fewer records than this are verified on the calling thread by default. */
export const PARALLEL_MIN_RECORDS = 50_000;

export interface ParallelOptions {
  /** Worker threads (default 2). */
  readonly workers?: number;
  /** About this many bytes of records.jsonl per chunk handed to a worker (default 1 MiB). */
  readonly chunkBytes?: number;
  /**
   * Range exports, and full exports of fewer records, are verified by verifyBundle on the calling
   * thread, without workers (default PARALLEL_MIN_RECORDS).
   */
  readonly minRecords?: number;
}

const DEFAULT_CHUNK_BYTES = 1 << 20;
/** Chunks queued at each worker, so it never waits for this thread. */
const DEPTH = 3;

/**
 * verifyBundle for large full exports, using worker threads: resolves to the same report, or
 * rejects with the same error (code, message, details.index) verifyBundle throws.
 */
export async function verifyBundleParallel(
  bundle: ExportBundle,
  trusted?: TrustedKeys,
  onProgress?: Progress,
  options: ParallelOptions = {},
): Promise<VerifyReport> {
  const settings = checkOptions(options);
  const count = fullRecordCount(bundle.manifest);
  if (count === undefined || count < settings.minRecords) return verifyBundle(bundle, trusted, onProgress);
  const pool = new VerifyPool(settings.workers);
  try {
    const opened = openBundle(bundle, trusted, Math.min(count, Math.ceil(bundle.records.length / 64)));
    const source = new MemorySource(bundle.records, settings.chunkBytes);
    return reportOf(opened, await pool.verify(source, opened, onProgress));
  } finally {
    await pool.close();
  }
}

/**
 * `verifyBundle(readExportDir(dir), ...)`, in parallel for large full exports (reading
 * records.jsonl while verifying it); range exports and small ones take exactly that path.
 */
export async function verifyExportDir(
  dir: string,
  trusted?: TrustedKeys,
  onProgress?: Progress,
  options: ParallelOptions = {},
): Promise<VerifyReport> {
  const settings = checkOptions(options);
  const count = peekRecordCount(dir);
  if (count === undefined || count < settings.minRecords) {
    return verifyBundle(readExportDir(dir), trusted, onProgress);
  }
  const pool = new VerifyPool(settings.workers);
  let fd: number | undefined;
  try {
    const { head, records } = readExportHead(dir);
    if (typeof records === 'number') fd = records;
    const bytes = typeof records === 'number' ? fs.fstatSync(records).size : records.length;
    const opened = openBundle(head, trusted, Math.min(count, Math.ceil(bytes / 64)));
    const source =
      typeof records === 'number'
        ? new FileSource(records, settings.chunkBytes)
        : new MemorySource(records, settings.chunkBytes);
    return reportOf(opened, await pool.verify(source, opened, onProgress));
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
    await pool.close();
  }
}

function checkOptions(options: ParallelOptions): Required<ParallelOptions> {
  const workers = options.workers ?? 2;
  const chunkBytes = options.chunkBytes ?? DEFAULT_CHUNK_BYTES;
  const minRecords = options.minRecords ?? PARALLEL_MIN_RECORDS;
  if (!Number.isSafeInteger(workers) || workers < 1 || workers > 256) {
    throw new TypeError('workers must be an integer from 1 to 256');
  }
  if (!Number.isSafeInteger(chunkBytes) || chunkBytes < 1) throw new TypeError('chunkBytes must be >= 1');
  if (!(minRecords >= 0)) throw new TypeError('minRecords must be >= 0');
  return { workers, chunkBytes, minRecords };
}

/** The record count of a valid full manifest; undefined for anything else (verifyBundle decides). */
function fullRecordCount(manifest: unknown): number | undefined {
  try {
    const m = checkManifest(manifest);
    return m.kind === 'full' ? m.to - m.from : undefined;
  } catch {
    return undefined;
  }
}

function peekRecordCount(dir: string): number | undefined {
  try {
    return fullRecordCount(JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8')));
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------- workers

/** The worker next to this module (core/thread.ts: compiled or through tsx). */
function startWorker(): Worker {
  return startThread(import.meta.url, 'verify-worker');
}

class VerifyPool {
  private readonly workers: Worker[];

  constructor(count: number) {
    this.workers = [];
    try {
      for (let i = 0; i < count; i++) this.workers.push(startWorker());
    } catch (e) {
      for (const worker of this.workers) void worker.terminate();
      throw e;
    }
  }

  async close(): Promise<void> {
    for (const worker of this.workers) worker.removeAllListeners();
    await Promise.all(this.workers.map((w) => w.terminate()));
  }

  /** Verifies the records of `source` against `opened` (as verifyBundle's verifyFull); the count. */
  verify(source: ChunkSource, opened: OpenedBundle, onProgress?: Progress): Promise<number> {
    const { chain } = opened;
    const to = opened.manifest.to;
    const total = to - chain.size;
    const roots = new CheckpointRoots(chain, opened.checkpoints);
    const workers = this.workers;
    const inFlight = workers.map(() => 0);
    const arrived = new Map<number, ChunkDone>();
    const spareResults: ArrayBuffer[] = [];
    const spareRefs: ArrayBuffer[] = [];
    const maxAhead = workers.length * DEPTH * 2;
    let nextId = 0;
    let nextToAbsorb = 0;
    let exhausted = false;
    let done = 0;

    const absorb = (chunk: ChunkDone): void => {
      const r = new ChunkResults(chunk.results, chunk.refs);
      const bytes = new Uint8Array(chunk.buffer, chunk.offset, chunk.length);
      for (let j = 0; j < chunk.lines; j++) {
        if (chain.size >= to) throw beyondSignedSize(chain.size, to);
        if (r.prevState[j] === DEFERRED || !chain.absorb(r, j)) {
          chain.push(bytes.subarray(j === 0 ? 0 : r.ends[j - 1]! + 1, r.ends[j]));
        }
        roots.check();
        if (++done % PROGRESS_EVERY === 0) onProgress?.(done, total);
      }
    };

    return new Promise<number>((resolve, reject) => {
      let settled = false;
      const fail = (e: unknown): void => {
        if (settled) return;
        settled = true;
        reject(e instanceof Error ? e : new Error(String(e)));
      };
      const dispatch = (): void => {
        while (!exhausted && nextId - nextToAbsorb < maxAhead) {
          let w = 0;
          for (let i = 1; i < workers.length; i++) if (inFlight[i]! < inFlight[w]!) w = i;
          if (inFlight[w]! >= DEPTH) return;
          const chunk = source.next();
          if (chunk === undefined) {
            exhausted = true;
            return;
          }
          const job: ChunkJob = {
            id: nextId++,
            ...chunk,
            results: spareResults.pop() ?? new ArrayBuffer(0),
            refs: spareRefs.pop() ?? new ArrayBuffer(0),
          };
          const transfer: ArrayBuffer[] = [job.results, job.refs];
          if (job.buffer instanceof ArrayBuffer) transfer.push(job.buffer);
          inFlight[w]!++;
          workers[w]!.postMessage(job, transfer);
        }
      };
      const pump = (): void => {
        if (settled) return;
        try {
          dispatch();
          for (
            let chunk = arrived.get(nextToAbsorb);
            chunk !== undefined;
            chunk = arrived.get(nextToAbsorb)
          ) {
            arrived.delete(nextToAbsorb++);
            absorb(chunk);
            source.recycle(chunk.buffer);
            spareResults.push(chunk.results);
            spareRefs.push(chunk.refs);
            dispatch();
          }
          if (exhausted && nextToAbsorb === nextId) {
            if (source.tail) throw noFinalNewline();
            if (chain.size < to) throw recordMissing(chain.size);
            onProgress?.(done, total);
            settled = true;
            resolve(done);
          }
        } catch (e) {
          fail(e);
        }
      };
      workers.forEach((worker, w) => {
        worker.on('message', (chunk: ChunkDone) => {
          inFlight[w]!--;
          arrived.set(chunk.id, chunk);
          pump();
        });
        worker.on('error', fail);
        worker.on('exit', (code) => fail(new Error(`a verify worker exited (code ${code})`)));
      });
      try {
        roots.check();
      } catch (e) {
        fail(e);
      }
      pump();
    });
  }
}

// ---------------------------------------------------------------- reading an export directory

/**
 * readExportDir (read-dir.ts) without reading records.jsonl into memory: the same files read and
 * checked in the same order, with the same errors; records.jsonl is opened (a file descriptor) or,
 * when it is not a regular file, read as readExportDir reads it.
 */
function readExportHead(dir: string): {
  head: BundleHead & Pick<ExportBundle, 'proofs'>;
  records: number | Uint8Array;
} {
  return readExportParts(dir, openRecords, (records) => {
    if (typeof records === 'number') fs.closeSync(records);
  });
}

/** A descriptor of records.jsonl when it is a regular file; else its bytes, as readFileSync reads them. */
function openRecords(file: string): number | Uint8Array {
  let fd: number | undefined;
  try {
    fd = fs.openSync(file, 'r');
    if (fs.fstatSync(fd).isFile()) return fd;
    fs.closeSync(fd);
    fd = undefined;
    return fs.readFileSync(file);
  } catch (cause) {
    if (fd !== undefined) fs.closeSync(fd);
    throw new CustosError('EXPORT_MALFORMED', 'export is missing records.jsonl', { cause });
  }
}
