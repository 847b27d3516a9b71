/**
 * A private OpenLDAP 2.5 for connector tests (one per test file), following TARGETS.md: a cn=config
 * LDIF (back_mdb, memberof, refint, ppolicy; core, cosine, nis, inetorgperson; {SSHA}; one mdb
 * database) loaded with `slapadd -n0`, base entries with `slapadd -n1`, then
 * `slapd -h ldap://127.0.0.1:PORT/ -F DIR/slapd.d` on a free port, in a mktemp directory, stopped
 * by pid (and on process exit).
 *
 * The directory is configured as docs/connectors/ldap.md recommends: a default ppolicy with
 * `pwdLockout: TRUE` (without it pwdAccountLockedTime is ignored), an admin entry Custos binds as
 * (not the rootdn), ACLs that keep userPassword and the journal to that admin, and the ACL that
 * cuts off a locked or deleted account's open connections at their next request.
 */
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import crypto from 'node:crypto';
import { Client } from 'ldapts';
import { sshaHash } from '../../../src/connectors/ldap/index.js';
import { freePort } from '../../harness/free-port.js';
import { warnLoudly } from '../../harness/postgres.js';
import { baseLdif, configLdif, SUFFIX, ADMIN_DN, ROOT_DN } from './ldap-config.js';

const execFileP = promisify(execFile);
const SLAPD = process.env.CUSTOS_SLAPD ?? '/usr/sbin/slapd';
const SLAPADD = process.env.CUSTOS_SLAPADD ?? '/usr/sbin/slapadd';

export interface LdapServer {
  readonly url: string;
  readonly port: number;
  readonly dir: string;
  readonly suffix: string;
  readonly adminDn: string;
  readonly adminPassword: string;
  /** Runs `body` on a connection bound as the rootdn (ACLs do not apply to it). */
  root<T>(body: (client: Client) => Promise<T>): Promise<T>;
  stop(): Promise<void>;
}

export function slapdPresent(): boolean {
  return existsSync(SLAPD) && existsSync(SLAPADD);
}

/** Whether LDAP tests can run: with CI=true a missing slapd fails the run; by hand it is skipped loudly. */
export function ldapAvailable(): boolean {
  if (slapdPresent()) return true;
  const message = `OpenLDAP (${SLAPD}, ${SLAPADD}) not found.`;
  if (process.env.CI === 'true')
    throw new Error(`${message} CI=true: LDAP tests must run. Install slapd ldap-utils.`);
  warnLoudly(`${message}\nLDAP connector tests will be SKIPPED. Install slapd and ldap-utils to run them.`);
  return false;
}

const live = new Map<string, number>(); // dir -> pid
let hooked = false;

function killAllSync(): void {
  for (const [dir, pid] of live) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
    rmSync(dir, { recursive: true, force: true });
  }
  live.clear();
}

export async function startLdapServer(): Promise<LdapServer> {
  const dir = await mkdtemp(join(tmpdir(), 'custos-ldap-'));
  if (!hooked) {
    hooked = true;
    process.once('exit', killAllSync);
  }
  const adminPassword = crypto.randomBytes(18).toString('base64url');
  const rootPassword = crypto.randomBytes(18).toString('base64url');
  try {
    await mkdir(join(dir, 'slapd.d'));
    await mkdir(join(dir, 'data'));
    await writeFile(join(dir, 'config.ldif'), configLdif(dir, sshaHash(rootPassword)));
    await writeFile(join(dir, 'base.ldif'), baseLdif(sshaHash(adminPassword)));
    await execFileP(SLAPADD, ['-q', '-n0', '-F', join(dir, 'slapd.d'), '-l', join(dir, 'config.ldif')]);
    await execFileP(SLAPADD, ['-q', '-n1', '-F', join(dir, 'slapd.d'), '-l', join(dir, 'base.ldif')]);
    const port = await startSlapd(dir);
    const url = `ldap://127.0.0.1:${port}`;
    const root = async <T>(body: (client: Client) => Promise<T>): Promise<T> => {
      const client = new Client({ url, timeout: 10_000, connectTimeout: 5000 });
      await client.bind(ROOT_DN, rootPassword);
      try {
        return await body(client);
      } finally {
        await client.unbind().catch(() => undefined);
      }
    };
    let stopping: Promise<void> | undefined;
    return {
      url,
      port,
      dir,
      suffix: SUFFIX,
      adminDn: ADMIN_DN,
      adminPassword,
      root,
      stop: () => (stopping ??= stopSlapd(dir)),
    };
  } catch (error) {
    await stopSlapd(dir);
    throw error;
  }
}

/** Starts slapd on a free port (retrying if another process takes it first) and waits for it. */
async function startSlapd(dir: string): Promise<number> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const started = spawnSync(SLAPD, ['-h', `ldap://127.0.0.1:${port}/`, '-F', join(dir, 'slapd.d')], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    const pid = await readPid(dir);
    if (started.status === 0 && pid !== undefined) {
      live.set(dir, pid);
      await waitUntilServing(`ldap://127.0.0.1:${port}`);
      return port;
    }
    if (attempt >= 3) throw new Error(`slapd did not start on 127.0.0.1:${port}: ${started.stderr}`);
  }
}

async function readPid(dir: string): Promise<number | undefined> {
  for (let i = 0; i < 50; i++) {
    const text = await readFile(join(dir, 'slapd.pid'), 'utf8').catch(() => '');
    const pid = Number(text.trim());
    if (Number.isInteger(pid) && pid > 0) return pid;
    await new Promise((r) => setTimeout(r, 20));
  }
  return undefined;
}

async function waitUntilServing(url: string): Promise<void> {
  for (let i = 0; ; i++) {
    const client = new Client({ url, connectTimeout: 1000 });
    const ok = await client.search('', { scope: 'base', attributes: ['namingContexts'] }).then(
      () => true,
      () => false,
    );
    await client.unbind().catch(() => undefined);
    if (ok) return;
    if (i > 100) throw new Error(`slapd at ${url} does not answer`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** SIGTERM by pid, wait for it to exit (SIGKILL after 5 s), then remove the directory. */
async function stopSlapd(dir: string): Promise<void> {
  const pid = live.get(dir) ?? Number(readFileSafe(join(dir, 'slapd.pid')));
  if (Number.isInteger(pid) && pid > 0) {
    signal(pid, 'SIGTERM');
    for (let i = 0; alive(pid); i++) {
      if (i === 250) signal(pid, 'SIGKILL');
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  live.delete(dir);
  await rm(dir, { recursive: true, force: true });
}

function readFileSafe(path: string): string {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return '';
  }
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // gone
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
