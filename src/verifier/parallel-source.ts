/**
 * Where the parallel verifier's chunks come from: records.jsonl cut at line boundaries, from memory
 * or read from a file into recycled buffers (so 400 MB is never faulted into fresh memory at once).
 */
import fs from 'node:fs';
import { CustosError } from '../core/errors.js';
export interface Chunk {
  readonly buffer: ArrayBuffer | SharedArrayBuffer;
  readonly offset: number;
  readonly length: number;
}

/** Where chunks of whole lines come from. */
export interface ChunkSource {
  /** The next chunk (at least one whole line), or undefined when no whole line is left. */
  next(): Chunk | undefined;
  /** Hands back a chunk's buffer once its chunk is absorbed. */
  recycle(buffer: ArrayBuffer | SharedArrayBuffer): void;
  /** After next() returned undefined: bytes were left after the last '\n'. */
  readonly tail: boolean;
}

// ---------------------------------------------------------------- chunk sources

/** Spare chunk buffers, reused so their memory is not faulted in again for every chunk. */
export class BufferPool {
  private readonly spare: ArrayBuffer[] = [];

  constructor(private readonly size: number) {}

  take(atLeast: number): ArrayBuffer {
    const buffer = this.spare.pop();
    if (buffer !== undefined && buffer.byteLength >= atLeast) return buffer;
    return new ArrayBuffer(Math.max(atLeast, this.size));
  }

  give(buffer: ArrayBuffer | SharedArrayBuffer): void {
    if (buffer instanceof ArrayBuffer && buffer.byteLength >= this.size) this.spare.push(buffer);
  }
}

/** Chunks of records.jsonl held in memory: shared as they are, or copied into recycled buffers. */
export class MemorySource implements ChunkSource {
  tail = false;
  private readonly view: Buffer;
  private readonly buffers: BufferPool;
  private pos = 0;

  constructor(
    records: Uint8Array,
    private readonly chunkBytes: number,
  ) {
    this.view = Buffer.from(records.buffer, records.byteOffset, records.byteLength);
    this.buffers = new BufferPool(chunkBytes + 64 * 1024);
  }

  next(): Chunk | undefined {
    const { view, pos } = this;
    if (pos >= view.length) return undefined;
    let end = pos + this.chunkBytes - 1 < view.length ? view.indexOf(0x0a, pos + this.chunkBytes - 1) : -1;
    if (end < 0) end = view.lastIndexOf(0x0a);
    if (end < pos) {
      this.tail = true;
      this.pos = view.length;
      return undefined;
    }
    this.pos = end + 1;
    const length = end + 1 - pos;
    if (view.buffer instanceof SharedArrayBuffer)
      return { buffer: view.buffer, offset: view.byteOffset + pos, length };
    const buffer = this.buffers.take(length);
    new Uint8Array(buffer, 0, length).set(view.subarray(pos, end + 1));
    return { buffer, offset: 0, length };
  }

  recycle(buffer: ArrayBuffer | SharedArrayBuffer): void {
    this.buffers.give(buffer);
  }
}

/** Chunks read from an open records.jsonl, into recycled buffers. */
export class FileSource implements ChunkSource {
  tail = false;
  private readonly buffers: BufferPool;
  private carry: Uint8Array = new Uint8Array(0);
  private position = 0;
  private eof = false;

  constructor(
    private readonly fd: number,
    chunkBytes: number,
  ) {
    this.buffers = new BufferPool(chunkBytes);
  }

  next(): Chunk | undefined {
    let buffer = this.buffers.take(this.carry.length + 64 * 1024);
    let view = Buffer.from(buffer);
    view.set(this.carry);
    let filled = this.carry.length;
    for (;;) {
      while (filled < view.length && !this.eof) {
        const n = this.read(view, filled);
        if (n === 0) this.eof = true;
        filled += n;
      }
      const last = filled > 0 ? view.lastIndexOf(0x0a, filled - 1) : -1;
      if (last >= 0) {
        this.carry = Buffer.from(view.subarray(last + 1, filled));
        return { buffer, offset: 0, length: last + 1 };
      }
      if (this.eof) {
        this.tail = filled > 0;
        this.carry = new Uint8Array(0);
        this.buffers.give(buffer);
        return undefined;
      }
      // One line longer than the buffer: continue in one twice as big.
      const bigger = new ArrayBuffer(2 * buffer.byteLength);
      new Uint8Array(bigger).set(view.subarray(0, filled));
      buffer = bigger;
      view = Buffer.from(bigger);
    }
  }

  recycle(buffer: ArrayBuffer | SharedArrayBuffer): void {
    this.buffers.give(buffer);
  }

  private read(into: Buffer, at: number): number {
    try {
      const n = fs.readSync(this.fd, into, at, into.length - at, this.position);
      this.position += n;
      return n;
    } catch (cause) {
      throw new CustosError('EXPORT_MALFORMED', 'export is missing records.jsonl', { cause });
    }
  }
}
