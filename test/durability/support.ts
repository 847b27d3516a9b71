/**
 * Shared by the durability tests and their child-process workers (no vitest import here: the
 * workers run under plain Node + tsx). A worker is started with `node --import tsx worker.ts
 * <json config>` and talks line by line on stdout: `ready <size>`, one `<index> <leafHashHex>`
 * per acknowledged (resolved) append, `done`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { RecordDraft } from '../../src/ledger/record.js';

export const PROJECT_ROOT = path.resolve(import.meta.dirname, '../..');

/** A record draft of moderate size, tagged with the process that appended it. */
export function draft(i: number, tag: string): RecordDraft {
  return {
    type: 'test.durability',
    correlationId: tag,
    actor: { kind: 'non_human', id: `worker:${tag}` },
    subject: { kind: 'identity', id: `svc-${i % 10}` },
    payload: { i, tag, note: 'a record of moderate size, as identity changes are' },
  };
}

export interface Ack {
  readonly index: number;
  readonly leafHash: string;
}

const ACK_LINE = /^(\d+) ([0-9a-f]{64})$/;

/** A running worker process and everything it has said so far (complete lines only). */
export class WorkerProcess {
  readonly child: ChildProcess;
  readonly acks: Ack[] = [];
  readonly lines: string[] = [];
  stderr = '';
  exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  /** Settles when the process has exited and its stdout/stderr are fully read. */
  readonly closed: Promise<void>;
  private partial = '';
  private readonly listeners = new Set<() => void>();

  constructor(
    readonly name: string,
    workerFile: string,
    config: unknown,
  ) {
    this.child = spawn(process.execPath, ['--import', 'tsx', workerFile, JSON.stringify(config)], {
      cwd: PROJECT_ROOT,
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, NODE_OPTIONS: '' },
    });
    this.child.stdout!.setEncoding('utf8');
    this.child.stderr!.setEncoding('utf8');
    this.child.stdout!.on('data', (chunk: string) => {
      const parts = (this.partial + chunk).split('\n');
      this.partial = parts.pop()!;
      for (const line of parts) {
        const m = ACK_LINE.exec(line);
        if (m) this.acks.push({ index: Number(m[1]), leafHash: m[2]! });
        else this.lines.push(line);
      }
      this.notify();
    });
    this.child.stderr!.on('data', (chunk: string) => {
      this.stderr += chunk;
    });
    this.child.stdin!.on('error', () => undefined); // EPIPE after a kill
    this.closed = new Promise<void>((resolve) => {
      this.child.once('close', (code, signal) => {
        this.exit = { code, signal };
        this.notify();
        resolve();
      });
    });
  }

  get alive(): boolean {
    return this.exit === undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  send(line: string): void {
    this.child.stdin!.write(`${line}\n`);
  }

  kill(): void {
    if (this.alive) this.child.kill('SIGKILL');
  }

  /** Waits until `pred` holds; rejects if the process exits first or on timeout. */
  until(pred: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const check = (): void => {
        if (pred()) finish();
        else if (this.exit !== undefined) finish(new Error(`${this.describe()} exited before ${what}`));
      };
      const timer = setTimeout(
        () => finish(new Error(`${this.describe()}: timed out waiting for ${what}`)),
        timeoutMs,
      );
      const finish = (err?: Error): void => {
        clearTimeout(timer);
        this.listeners.delete(check);
        if (err) reject(err);
        else resolve();
      };
      this.listeners.add(check);
      check();
    });
  }

  describe(): string {
    const exit = this.exit ? ` (exit code ${this.exit.code}, signal ${this.exit.signal})` : '';
    const err = this.stderr.trim() === '' ? '' : `\nstderr:\n${this.stderr.trim().slice(-4000)}`;
    return `worker ${this.name}${exit}${err}`;
  }

  private notify(): void {
    for (const listener of [...this.listeners]) listener();
  }
}
