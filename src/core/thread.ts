/**
 * Starts a worker thread from a module next to the caller, compiled or not: `<name>.js` when it
 * exists (running from dist/), otherwise `<name>.ts` loaded through tsx's require hook registered
 * inside the worker (running the TypeScript sources under tsx or vitest): on Node 20 a worker does
 * not inherit the parent's module hooks, and `--import tsx` in its execArgv does not register them
 * either. Only node: imports, so the standalone verifier can use it.
 *
 * The worker inherits the process's options as Node passes them, but --input-type (`node
 * --input-type=module -e ...`), which would make it refuse its script file. Only then are the options
 * given explicitly, and Node refuses some in a worker's execArgv: V8 options such as the
 * `--max-semi-space-size` docs/cli.md gives `custos serve`. Those it names are left out (V8's options
 * are the process's, so the worker runs under them all the same).
 */
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker, type WorkerOptions } from 'node:worker_threads';

/** The worker `name` (without extension) in the directory of `base` (the caller's import.meta.url). */
export function startThread(base: string, name: string): Worker {
  const js = new URL(`./${name}.js`, base);
  if (fs.existsSync(fileURLToPath(js))) return worker(js, {});
  const workerData = {
    dir: fileURLToPath(new URL('.', base)),
    file: fileURLToPath(new URL(`./${name}.ts`, base)),
  };
  return worker(TS_WORKER, { eval: true, workerData });
}

function worker(script: string | URL, options: WorkerOptions): Worker {
  if (!process.execArgv.some(isInputType)) return new Worker(script, options);
  const execArgv = process.execArgv.filter((a) => !isInputType(a));
  try {
    return new Worker(script, { ...options, execArgv });
  } catch (e) {
    const refused = refusedOptions(e);
    if (refused.length === 0) throw e;
    return new Worker(script, { ...options, execArgv: execArgv.filter((a) => !refused.includes(a)) });
  }
}

function isInputType(option: string): boolean {
  return option.startsWith('--input-type');
}

/** The options named by Node's ERR_WORKER_INVALID_EXEC_ARGV ("… execArgv flags: --a, --b"). */
function refusedOptions(e: unknown): string[] {
  if (!(e instanceof Error) || (e as { code?: unknown }).code !== 'ERR_WORKER_INVALID_EXEC_ARGV') return [];
  const listed = /flags: (.*)$/.exec(e.message)?.[1];
  return listed === undefined ? [] : listed.split(', ');
}

const TS_WORKER = `
const { workerData } = require('node:worker_threads');
require(require.resolve('tsx/cjs/api', { paths: [workerData.dir] })).register();
require(workerData.file);
`;
