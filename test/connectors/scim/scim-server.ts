/**
 * Starts the SCIM test peer (peer-main.ts) as a process of its own, on a free loopback port, in a
 * temporary directory; stops it by pid in stop() and, failing that, when this process exits.
 * The peer is an npm dev dependency (scimmy, scimmy-routers, express@4): there is no binary that
 * could be missing, so there is nothing to skip.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Fault, Received } from './peer-app.js';

export interface ScimServer {
  readonly port: number;
  /** `http://127.0.0.1:PORT` */
  readonly origin: string;
  readonly token: string;
  /** Every request the peer received (raw: bodies include passwords — for assertions only). */
  received(): Promise<Received[]>;
  forget(): Promise<void>;
  fault(f: Fault): Promise<void>;
  clearFaults(): Promise<void>;
  options(o: { force204?: boolean; etag?: boolean; maxResults?: number }): Promise<void>;
  /** A plain SCIM request with the admin token, as another provisioning client would send it. */
  scim(method: string, path: string, body?: unknown): Promise<{ status: number; body: unknown }>;
  stop(): Promise<void>;
}

const PEER = fileURLToPath(new URL('./peer-main.ts', import.meta.url));
/** tsx's loader by absolute URL: the peer runs in a temporary directory, outside node_modules' reach. */
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const live = new Set<ChildProcess>();
let hooked = false;

export async function startScimServer(options: { extension?: boolean } = {}): Promise<ScimServer> {
  const dir = mkdtempSync(join(tmpdir(), 'custos-scim-'));
  const token = crypto.randomBytes(24).toString('base64url');
  const controlToken = crypto.randomBytes(24).toString('base64url');
  const child = spawn(process.execPath, ['--import', TSX, PEER], {
    cwd: dir,
    env: {
      ...process.env,
      SCIM_PEER_TOKEN: token,
      SCIM_PEER_CONTROL_TOKEN: controlToken,
      SCIM_PEER_EXTENSION: options.extension === false ? '0' : '1',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  track(child);
  const port = await portOf(child);
  const origin = `http://127.0.0.1:${port}`;
  const control = async (method: string, path: string, body?: unknown): Promise<unknown> => {
    const res = await fetch(`${origin}/_peer${path}`, {
      method,
      headers: { 'x-peer-control': controlToken, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    if (!res.ok) throw new Error(`peer control ${method} ${path}: ${res.status}`);
    return res.status === 204 ? undefined : res.json();
  };
  let stopped: Promise<void> | undefined;
  return {
    port,
    origin,
    token,
    received: async () => (await control('GET', '/requests')) as Received[],
    forget: async () => {
      await control('DELETE', '/requests');
    },
    fault: async (f) => {
      await control('POST', '/faults', f);
    },
    clearFaults: async () => {
      await control('DELETE', '/faults');
    },
    options: async (o) => {
      await control('POST', '/options', o);
    },
    scim: async (method, path, body) => {
      const res = await fetch(`${origin}/scim${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/scim+json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await res.text();
      return { status: res.status, body: text === '' ? undefined : (JSON.parse(text) as unknown) };
    },
    stop: () => {
      stopped ??= new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        if (child.exitCode !== null || !child.kill('SIGTERM')) resolve();
      }).then(() => {
        live.delete(child);
        rmSync(dir, { recursive: true, force: true });
      });
      return stopped;
    },
  };
}

function portOf(child: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => reject(new Error(`SCIM peer did not start in 20 s: ${err}`)), 20_000);
    child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /SCIM_PEER_PORT=(\d+)/.exec(out);
      if (m === null) return;
      clearTimeout(timer);
      resolve(Number(m[1]));
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`SCIM peer exited with ${String(code)}: ${err}`));
    });
  });
}

/** Kills every peer still running when this process exits (by pid: only our own children). */
function track(child: ChildProcess): void {
  live.add(child);
  child.once('exit', () => live.delete(child));
  if (hooked) return;
  hooked = true;
  process.once('exit', () => {
    for (const c of live) c.kill('SIGKILL');
  });
}
