/**
 * Child process for pg-concurrency.test.ts: opens its own store and Ledger on a shared
 * PostgreSQL database (the ledger already exists), prints `ready`, waits for `go` on stdin so
 * that all workers start together, appends `count` records with `concurrency` in flight, printing
 * `<index> <leafHashHex>` per resolved append, then `done`. With `migrateUrls` it only opens
 * (and so migrates) stores, one database per `go`.
 *
 * Usage: node --import tsx pg-concurrency.worker.ts '<json PgWorkerConfig>'
 */
import { createInterface } from 'node:readline';
import { Ledger } from '../../src/ledger/ledger.js';
import { openStore } from '../../src/store/index.js';
import { draft } from './support.js';

export interface PgWorkerConfig {
  readonly dataDir: string;
  readonly databaseUrl: string;
  readonly count: number;
  readonly concurrency: number;
  readonly tag: string;
  /**
   * Instead of appending: on the k-th `go`, open (and so migrate) the store at migrateUrls[k] and
   * print `opened k` or `failed k <error>`; then `done`. These databases need no ledger.
   */
  readonly migrateUrls?: readonly string[];
}

const config = JSON.parse(process.argv[2] ?? '') as PgWorkerConfig;

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

const stdin = createInterface({ input: process.stdin });
const stdinLines = stdin[Symbol.asyncIterator]();

async function waitForGo(): Promise<void> {
  for (;;) {
    const next = await stdinLines.next();
    if (next.done === true) throw new Error('stdin closed before go');
    if (next.value.trim() === 'go') return;
  }
}

function stopReading(): void {
  stdin.close();
  process.stdin.destroy(); // or the open pipe keeps this process alive after `done`
}

async function main(): Promise<void> {
  if (config.migrateUrls !== undefined) {
    say('ready');
    for (const [k, databaseUrl] of config.migrateUrls.entries()) {
      await waitForGo();
      try {
        await (await openStore({ dataDir: config.dataDir, databaseUrl })).close();
        say(`opened ${k}`);
      } catch (e) {
        say(`failed ${k} ${String(e).replaceAll('\n', ' ')}`);
      }
    }
    stopReading();
    say('done');
    return;
  }
  const store = await openStore({ dataDir: config.dataDir, databaseUrl: config.databaseUrl });
  try {
    const ledger = new Ledger({ store, now: () => new Date() });
    if (!(await ledger.exists())) throw new Error('the ledger should already exist');
    say('ready');
    await waitForGo();
    stopReading();
    let next = 0;
    const loop = async (): Promise<void> => {
      while (next < config.count) {
        const rec = await ledger.append(draft(next++, config.tag));
        say(`${rec.index} ${Buffer.from(rec.leafHash).toString('hex')}`);
      }
    };
    await Promise.all(Array.from({ length: config.concurrency }, loop));
    await ledger.writer.idle();
    say('done');
  } finally {
    await store.close();
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
