/**
 * Starts a worker thread from a module next to the caller, compiled or not: `<name>.js` when it
 * exists (running from dist/), otherwise `<name>.ts` loaded through tsx's require hook registered
 * inside the worker (running the TypeScript sources under tsx or vitest): on Node 20 a worker does
 * not inherit the parent's module hooks, and `--import tsx` in its execArgv does not register them
 * either. The worker inherits the process's options but --input-type (`node --input-type=module -e
 * ...`), which would make it refuse its script file. Only node: imports, so the standalone verifier
 * can use it.
 */
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';

/** The worker `name` (without extension) in the directory of `base` (the caller's import.meta.url). */
export function startThread(base: string, name: string): Worker {
  const js = new URL(`./${name}.js`, base);
  const execArgv = process.execArgv.filter((a) => !a.startsWith('--input-type'));
  if (fs.existsSync(fileURLToPath(js))) return new Worker(js, { execArgv });
  const workerData = {
    dir: fileURLToPath(new URL('.', base)),
    file: fileURLToPath(new URL(`./${name}.ts`, base)),
  };
  return new Worker(TS_WORKER, { eval: true, workerData, execArgv });
}

const TS_WORKER = `
const { workerData } = require('node:worker_threads');
require(require.resolve('tsx/cjs/api', { paths: [workerData.dir] })).register();
require(workerData.file);
`;
