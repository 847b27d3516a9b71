/**
 * Child process for pg-concurrency.test.ts: opens its own store and Ledger on a shared
 * PostgreSQL database (the ledger already exists), prints `ready`, waits for `go` on stdin so
 * that all workers start together, appends `count` records with `concurrency` in flight, printing
 * `<index> <leafHashHex>` per resolved append, then `done`.
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
}

const config = JSON.parse(process.argv[2] ?? '') as PgWorkerConfig;

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

function waitForGo(): Promise<void> {
  return new Promise((resolve, reject) => {
    const rl = createInterface({ input: process.stdin });
    rl.on('line', (line) => {
      if (line.trim() === 'go') {
        rl.close();
        resolve();
      }
    });
    rl.on('close', () => reject(new Error('stdin closed before go')));
  });
}

async function main(): Promise<void> {
  const store = await openStore({ dataDir: config.dataDir, databaseUrl: config.databaseUrl });
  try {
    const ledger = new Ledger({ store, now: () => new Date() });
    if (!(await ledger.exists())) throw new Error('the ledger should already exist');
    say('ready');
    await waitForGo();
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
