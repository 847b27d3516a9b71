/**
 * A private, throwaway PostgreSQL target for the quickstart, started from the server binaries
 * installed on this machine (no server needs to be running): its own directory under the system's
 * temporary directory, a free loopback port, password (SCRAM) authentication on TCP so that
 * Custos's real-login verification proves something, and a random admin password that lives only in
 * this process. PostgreSQL refuses to run as root: as root the binaries run as the `postgres` user.
 */
import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { CustosError } from '../../core/errors.js';

const run = promisify(execFile);

export interface PrivatePostgres {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  /** The admin password: never printed, passed to the connector through the environment. */
  readonly password: string;
  readonly database: string;
  stop(): Promise<void>;
}

/** The first directory holding initdb, pg_ctl and postgres: CUSTOS_PG_BIN, then the usual places. */
export function findPgBin(env: Readonly<Record<string, string | undefined>>): string | undefined {
  const candidates = [env['CUSTOS_PG_BIN']];
  for (const base of ['/usr/lib/postgresql', '/usr/local/opt', '/opt/homebrew/opt']) {
    if (!fs.existsSync(base)) continue;
    const versions = fs
      .readdirSync(base)
      .filter((v) => /^(postgresql@)?\d+$/.test(v))
      .sort((a, b) => Number(b.replace(/\D/g, '')) - Number(a.replace(/\D/g, '')));
    candidates.push(...versions.map((v) => path.join(base, v, 'bin')));
  }
  candidates.push(...(env['PATH'] ?? '').split(path.delimiter));
  return candidates.find(
    (dir) =>
      dir !== undefined &&
      dir !== '' &&
      ['initdb', 'pg_ctl', 'postgres'].every((b) => fs.existsSync(path.join(dir, b))),
  );
}

const asRoot = (): boolean => process.getuid?.() === 0;

async function server(bin: string, tool: string, args: string[], cwd: string): Promise<void> {
  const file = path.join(bin, tool);
  const [cmd, argv] = asRoot() ? ['runuser', ['-u', 'postgres', '--', file, ...args]] : [file, args];
  try {
    await run(cmd, argv, { cwd, timeout: 60_000 });
  } catch (cause) {
    throw new CustosError('CONNECTOR_UNAVAILABLE', `${tool} failed: the private PostgreSQL did not start`, {
      cause,
    });
  }
}

/** Starts the server and creates the `payments` database; stop() removes every trace of it. */
export async function startPrivatePostgres(bin: string, port: number): Promise<PrivatePostgres> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'custos-quickstart-pg-'));
  const data = path.join(dir, 'data');
  const password = crypto.randomBytes(24).toString('base64url');
  const stop = async () => {
    if (fs.existsSync(path.join(data, 'postmaster.pid')))
      await server(bin, 'pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop'], dir).catch(() => undefined);
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    fs.writeFileSync(path.join(dir, 'pw'), `${password}\n`, { mode: 0o600 });
    if (asRoot()) {
      const id = async (flag: string) => Number((await run('id', [flag, 'postgres'])).stdout.trim());
      const [uid, gid] = [await id('-u'), await id('-g')];
      fs.chownSync(dir, uid, gid);
      fs.chownSync(path.join(dir, 'pw'), uid, gid);
    }
    // --no-sync: a throwaway demo target, removed when the quickstart ends.
    const init = [
      '-D',
      data,
      '-U',
      'postgres',
      '--pwfile',
      path.join(dir, 'pw'),
      '-E',
      'UTF8',
      '--no-locale',
      '--no-sync',
    ];
    await server(bin, 'initdb', [...init, '--auth-local=trust', '--auth-host=scram-sha-256'], dir);
    fs.rmSync(path.join(dir, 'pw'));
    // pg_ctl hands -o to a shell: quote the socket directory.
    const socketDir = `'${dir.replaceAll("'", `'\\''`)}'`;
    const opts = `-p ${port} -k ${socketDir} -c listen_addresses=127.0.0.1 -c fsync=off`;
    await server(bin, 'pg_ctl', ['-D', data, '-l', path.join(dir, 'log'), '-w', '-o', opts, 'start'], dir);
    const { default: pg } = await import('pg');
    const client = new pg.Client({
      host: '127.0.0.1',
      port,
      user: 'postgres',
      password,
      database: 'postgres',
    });
    client.on('error', () => undefined);
    await client.connect();
    try {
      await client.query('CREATE DATABASE payments');
    } finally {
      await client.end();
    }
  } catch (e) {
    await stop();
    throw e;
  }
  return { host: '127.0.0.1', port, user: 'postgres', password, database: 'payments', stop };
}
