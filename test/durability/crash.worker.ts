/**
 * Child process for crash.test.ts: opens (or creates) the ledger, signs a checkpoint, then appends
 * forever with many appends in flight, printing `<index> <leafHashHex>` once each append has
 * resolved (acknowledged), and signing a checkpoint now and then. The parent SIGKILLs it.
 *
 * Usage: node --import tsx crash.worker.ts '<json CrashWorkerConfig>'
 */
import { Ledger } from '../../src/ledger/ledger.js';
import { parseSignerKey } from '../../src/ledger/note/index.js';
import { signerStateFile } from '../../src/keys/signer-state-file.js';
import { openStore } from '../../src/store/index.js';
import { draft } from './support.js';

export interface CrashWorkerConfig {
  readonly dataDir: string;
  readonly databaseUrl?: string;
  /** Create the ledger (first run) rather than open the existing one. */
  readonly create: boolean;
  readonly origin: string;
  readonly signerKey: string;
  readonly verifierKey: string;
  readonly signerStateFile: string;
  readonly concurrency: number;
  readonly checkpointEveryMs: number;
  readonly tag: string;
}

const config = JSON.parse(process.argv[2] ?? '') as CrashWorkerConfig;

// process.stdout.write on a pipe is synchronous on Linux: once it returns, the line is in the
// kernel's pipe buffer and survives our SIGKILL. An ack is printed only after the append resolved.
function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

async function main(): Promise<void> {
  const store = await openStore({
    dataDir: config.dataDir,
    ...(config.databaseUrl === undefined ? {} : { databaseUrl: config.databaseUrl }),
  });
  const ledger = new Ledger({
    store,
    now: () => new Date(),
    signer: parseSignerKey(config.signerKey),
    signerState: signerStateFile(config.signerStateFile),
  });
  if (config.create) await ledger.create(config.origin, config.verifierKey);
  const first = await ledger.checkpoint();
  say(`ready ${first.size}`);

  let failure: unknown;
  const timer = setInterval(() => {
    ledger.checkpoint().catch((e: unknown) => (failure ??= e));
  }, config.checkpointEveryMs);

  let n = 0;
  const loop = async (): Promise<void> => {
    while (failure === undefined) {
      const rec = await ledger.append(draft(n++, config.tag));
      say(`${rec.index} ${Buffer.from(rec.leafHash).toString('hex')}`);
    }
  };
  await Promise.all(
    Array.from({ length: config.concurrency }, () => loop().catch((e: unknown) => (failure ??= e))),
  );
  clearInterval(timer);
  throw failure;
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
