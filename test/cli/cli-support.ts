/**
 * The real, built `custos` binary (npm test builds dist/ first): run it in a directory of its own
 * with a minimal environment, or start `custos serve` as a child process on a free port and stop it
 * by its pid (after each test, and on process exit).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { CLI } from '../support/cli.js';
import { tempDir } from '../support/stores.js';

export const EXAMPLES = path.resolve(import.meta.dirname, '../../examples');

export interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface Place {
  /** The working directory: ./.custos lives here unless CUSTOS_DATA_DIR says otherwise. */
  readonly cwd: string;
  readonly env: Readonly<Record<string, string>>;
}

/** A fresh working directory with its own HOME (so ~/.config/custos/keys is private to the test). */
export function freshPlace(env: Record<string, string> = {}): Place {
  const cwd = tempDir('custos-cli-');
  fs.mkdirSync(path.join(cwd, 'home'));
  return { cwd, env: { PATH: process.env['PATH'] ?? '', HOME: path.join(cwd, 'home'), ...env } };
}

export function cli(place: Place, args: readonly string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: place.cwd, env: { ...place.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/** Parses stdout as JSON, failing with the command's stderr when it is not (callers say its shape). */
export function json(r: Run): unknown {
  try {
    return JSON.parse(r.stdout);
  } catch {
    throw new Error(`not JSON (exit ${r.code}): ${r.stdout}\n${r.stderr}`);
  }
}

export interface Served {
  readonly url: string;
  readonly child: ChildProcess;
  /** Everything the server wrote to stderr so far (its JSON log lines). */
  stderr(): string;
  /** Everything it wrote to stdout so far (the access log, one JSON line per request). */
  stdout(): string;
  /** SIGTERM, then the exit code. */
  stop(): Promise<number>;
}

const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

/** Starts `custos serve --port 0` in `place` and waits for its `listening` log line. */
export function serve(
  place: Place,
  args: readonly string[] = [],
  env: Record<string, string> = {},
): Promise<Served> {
  const child = spawn(process.execPath, [CLI, 'serve', '--port', '0', ...args], {
    cwd: place.cwd,
    env: { ...place.env, ...env },
  });
  live.add(child);
  let err = '';
  const exited = new Promise<number>((resolve) =>
    child.on('close', (code) => {
      live.delete(child);
      resolve(code ?? -1);
    }),
  );
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString('utf8')));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`custos serve did not start:\n${err}`)), 60_000);
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString('utf8');
      const url = /"msg":"listening","url":"([^"]+)"/.exec(err)?.[1];
      if (url === undefined) return;
      clearTimeout(timer);
      resolve({
        url,
        child,
        stderr: () => err,
        stdout: () => out,
        stop: () => {
          child.kill('SIGTERM');
          return exited;
        },
      });
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`custos serve exited ${code}:\n${err}`));
    });
  });
}

/** An installation with the example inventory and the example bundle active (deployed by pat, approved by paula). */
export async function installation(place: Place): Promise<void> {
  const steps: string[][] = [
    ['init'],
    ['identities', 'import', path.join(EXAMPLES, 'inventory.yaml'), '--as', 'person:alice'],
    ['workflows', 'deploy', path.join(EXAMPLES, 'bundle'), '--as', 'person:pat'],
  ];
  for (const step of steps) {
    const r = await cli(place, step);
    if (r.code !== 0) throw new Error(`${step.join(' ')}: exit ${r.code}\n${r.stderr}`);
    const hash = /filed (sha256:[0-9a-f]{64})/.exec(r.stdout)?.[1];
    if (hash !== undefined) {
      const ok = await cli(place, ['workflows', 'approve', hash, '--as', 'person:paula']);
      if (ok.code !== 0) throw new Error(`approve: ${ok.stderr}`);
    }
  }
}
