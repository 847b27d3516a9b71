/**
 * `custos witness`: a c2sp.org/tlog-witness with its own key and its own state directory (default
 * ./.custos-witness): witness.key (0600), witness.vkey and witness.db. It never reads the log's store.
 *
 *   init --name NAME [--dir D]                        create the cosignature/v1 key, print the vkey
 *   add-log VKEY|FILE [--dir D]                       trust a log key (origin = key name)
 *   serve [--dir D] [--port 7380] [--host 127.0.0.1]  POST /add-checkpoint until SIGINT/SIGTERM
 *   cosign --checkpoint FILE --old-size N [--proof FILE] [--dir D]   offline add-checkpoint
 *   status [--dir D] [--json]
 */
import fs from 'node:fs';
import path from 'node:path';
import { encodeBase64, fromUtf8 } from '../../core/bytes.js';
import { CustosError, isCustosError } from '../../core/errors.js';
import type { ErrorCode } from '../../core/errors.js';
import { createPrivateFile, readPrivateFile, writeFileAtomic } from '../../keys/key-files.js';
import { generateNoteKey, isValidKeyName, parseSignerKey } from '../../ledger/note/index.js';
import { EXIT, parseArgs } from '../io.js';
import type { CliIo, ParsedArgs } from '../io.js';
import { parseAddCheckpointBody, startWitnessServer, Witness, WitnessStore } from '../../witness/index.js';

const HELP = `usage: custos witness <subcommand> [--dir D]   (state directory, default ./.custos-witness)
  init --name NAME                                  create the witness key, print its verifier key
  add-log VKEY|FILE                                 trust a log's Ed25519 key (origin = key name)
  serve [--port 7380] [--host 127.0.0.1]            POST /add-checkpoint (c2sp.org/tlog-witness)
  cosign --checkpoint FILE --old-size N [--proof FILE]   cosign offline, print the cosignature line
  status [--json]                                   known logs and their latest cosigned size
`;
const BAD_INPUT: readonly ErrorCode[] = [
  'INPUT_INVALID',
  'NOTE_MALFORMED',
  'CHECKPOINT_MALFORMED',
  'VKEY_MALFORMED',
];
const REJECTED: readonly ErrorCode[] = [
  'WITNESS_UNKNOWN_LOG',
  'WITNESS_CONFLICT',
  'NOTE_UNVERIFIED',
  'NOTE_SIGNATURE_INVALID',
  'CHECKPOINT_INCONSISTENT',
];

export interface WitnessCommandOptions {
  /** Stops `serve` (tests); otherwise it runs until SIGINT or SIGTERM. */
  readonly signal?: AbortSignal;
}

export async function witnessCommand(
  argv: readonly string[],
  io: CliIo,
  options: WitnessCommandOptions = {},
): Promise<number> {
  const [sub, ...rest] = argv;
  const args = parseArgs(rest, ['json', 'help']);
  if (sub === undefined || sub === '--help' || args.bools.has('help')) {
    if (sub === undefined) io.err(HELP);
    else io.out(HELP);
    return sub === undefined ? EXIT.usage : EXIT.ok;
  }
  const dir = path.resolve(io.cwd, args.flags.dir ?? '.custos-witness');
  try {
    switch (sub) {
      case 'init':
        return init(dir, args, io);
      case 'add-log':
        return withWitness(dir, (witness) => {
          const vkey = args.positional[0] ?? usage('add-log needs a log verifier key or a file holding one');
          const { origin, added } = witness.addLog(
            fs.existsSync(path.resolve(io.cwd, vkey)) ? readText(io.cwd, vkey) : vkey,
          );
          io.out(added ? `added log ${origin}\n` : `log ${origin} was already known\n`);
          return EXIT.ok;
        });
      case 'serve':
        return await serve(dir, args, io, options.signal);
      case 'cosign':
        return withWitness(dir, (witness) => {
          const oldSize = args.flags['old-size'] ?? usage('cosign needs --old-size N');
          const checkpoint = readText(
            io.cwd,
            args.flags.checkpoint ?? usage('cosign needs --checkpoint FILE'),
          );
          const proof = args.flags.proof === undefined ? '' : readText(io.cwd, args.flags.proof);
          const lines = proof.split('\n').filter((line) => line.trim() !== '');
          const body = `old ${oldSize}\n${lines.map((l) => `${l.trim()}\n`).join('')}\n${checkpoint}`;
          io.out(witness.addCheckpoint(parseAddCheckpointBody(body)));
          return EXIT.ok;
        });
      case 'status':
        return status(dir, args, io);
      default:
        return usage(`unknown witness subcommand ${sub}`);
    }
  } catch (err) {
    const code = isCustosError(err) ? err.code : 'INTERNAL';
    io.err(`error ${code}: ${err instanceof Error ? err.message : String(err)}\n`);
    if (!isCustosError(err)) return EXIT.error;
    return BAD_INPUT.includes(err.code)
      ? EXIT.usage
      : REJECTED.includes(err.code)
        ? EXIT.verifyFailed
        : EXIT.error;
  }
}

function init(dir: string, args: ParsedArgs, io: CliIo): number {
  const name = args.flags.name ?? usage('init needs --name NAME (the witness name, e.g. witness.example/w1)');
  if (!isValidKeyName(name)) usage('the witness name must be non-empty without spaces or "+"');
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const { signerKey, verifierKey } = generateNoteKey(name, 'cosignature/v1');
  createPrivateFile(path.join(dir, 'witness.key'), `${signerKey}\n`);
  writeFileAtomic(path.join(dir, 'witness.vkey'), `${verifierKey}\n`, 0o644);
  WitnessStore.open(dir).close();
  io.out(`${verifierKey}\n`);
  return EXIT.ok;
}

async function serve(dir: string, args: ParsedArgs, io: CliIo, signal?: AbortSignal): Promise<number> {
  const port = Number(args.flags.port ?? '7380');
  if (!Number.isInteger(port) || port < 0 || port > 65535) usage('--port must be 0..65535');
  const { witness, store } = openWitness(dir);
  try {
    const server = await startWitnessServer({
      witness,
      port,
      host: args.flags.host ?? '127.0.0.1',
      log: (line) => {
        io.err(`${line}\n`);
      },
    });
    io.out(`witness ${witness.name} listening on ${server.url}\n`);
    await new Promise<void>((resolve) => {
      const stop = (): void => {
        process.off('SIGINT', stop).off('SIGTERM', stop);
        signal?.removeEventListener('abort', stop);
        resolve();
      };
      process.once('SIGINT', stop).once('SIGTERM', stop);
      if (signal?.aborted === true) stop();
      else signal?.addEventListener('abort', stop);
    });
    await server.close();
    return EXIT.ok;
  } finally {
    store.close();
  }
}

function status(dir: string, args: ParsedArgs, io: CliIo): number {
  const vkeyFile = path.join(dir, 'witness.vkey');
  if (!fs.existsSync(vkeyFile)) throw notInitialised(dir);
  const verifierKey = fs.readFileSync(vkeyFile, 'utf8').trim();
  const store = WitnessStore.open(dir);
  try {
    const logs = store.listLogs().map(({ origin, verifierKey: logKey, state }) => ({
      origin,
      verifierKey: logKey,
      size: state?.size ?? null,
      rootHash: state === undefined ? null : encodeBase64(state.rootHash),
      cosignedAt: state === undefined ? null : new Date(state.cosignedAt * 1000).toISOString(),
    }));
    if (args.bools.has('json')) io.out(`${JSON.stringify({ verifierKey, logs }, null, 2)}\n`);
    else {
      io.out(`witness ${verifierKey}\n`);
      if (logs.length === 0) io.out('no logs: add one with `custos witness add-log VKEY`\n');
      for (const l of logs) {
        io.out(
          `${l.origin}  ${l.size === null ? 'nothing cosigned yet' : `size ${l.size} root ${l.rootHash} at ${l.cosignedAt}`}\n`,
        );
      }
    }
    return EXIT.ok;
  } finally {
    store.close();
  }
}

function openWitness(dir: string): { witness: Witness; store: WitnessStore } {
  const keyFile = path.join(dir, 'witness.key');
  if (!fs.existsSync(keyFile)) throw notInitialised(dir);
  let signer;
  try {
    signer = parseSignerKey(readPrivateFile(keyFile));
  } catch (cause) {
    if (isCustosError(cause) && cause.code === 'KEY_FILE_INSECURE') throw cause;
    throw new CustosError('KEY_MALFORMED', `${keyFile} is not a witness signer key`, { cause });
  }
  if (signer.type !== 'cosignature/v1')
    throw new CustosError('KEY_MALFORMED', `${keyFile} is not a cosignature/v1 key`);
  const store = WitnessStore.open(dir);
  return { witness: new Witness({ signer, store }), store };
}

function withWitness(dir: string, run: (witness: Witness) => number): number {
  const { witness, store } = openWitness(dir);
  try {
    return run(witness);
  } finally {
    store.close();
  }
}

function readText(cwd: string, file: string): string {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(path.resolve(cwd, file));
  } catch (cause) {
    throw new CustosError('INPUT_INVALID', `cannot read ${file}`, { cause });
  }
  const text = fromUtf8(bytes);
  if (text === undefined) throw new CustosError('INPUT_INVALID', `${file} is not UTF-8`);
  return text;
}

function notInitialised(dir: string): CustosError {
  return new CustosError('NOT_INITIALISED', `no witness in ${dir}: run \`custos witness init --name NAME\``);
}

function usage(message: string): never {
  throw new CustosError('INPUT_INVALID', message);
}
