/**
 * The PostgreSQL target of the quickstart's scenes 2, 5 and 6 (the built-in token issuer cannot
 * grant entitlements): the server CUSTOS_PG_TARGET_URL names, or else a private throwaway server
 * started from the PostgreSQL binaries installed here, or none (those scenes are then skipped, and
 * the quickstart says why). Custos reaches it through a TCP link the quickstart can cut (scene 5).
 */
import net from 'node:net';
import { redactUrl } from '../../config/index.js';
import { CustosError } from '../../core/errors.js';
import { findPgBin, startPrivatePostgres, type PrivatePostgres } from './pg-private.js';
import { openLink, type TcpLink } from './tcp-link.js';

/** The environment variable the target's admin password is resolved from (`env:` reference). */
export const TARGET_PASSWORD_ENV = 'CUSTOS_PG_TARGET_PASSWORD';

export interface PgTarget {
  /** What the narration shows: never a password. */
  readonly description: string;
  /** The inventory system's connection (through the link; the password by reference). */
  readonly connection: Readonly<Record<string, string | number>>;
  /** Appended to the role names the scenes create, so reruns on a shared server never collide. */
  readonly roleSuffix: string;
  readonly link: TcpLink;
  close(): Promise<void>;
}

export type TargetChoice =
  | { readonly target: PgTarget; readonly why?: undefined }
  | { readonly target?: undefined; readonly why: string };

export async function resolvePgTarget(
  env: Readonly<Record<string, string | undefined>>,
  tag: string,
  disabled: boolean,
): Promise<TargetChoice> {
  if (disabled) return { why: '--no-postgres was given' };
  const url = env['CUSTOS_PG_TARGET_URL'];
  if (url !== undefined && url !== '') return { target: await configured(url, env, tag) };
  const bin = findPgBin(env);
  if (bin === undefined) {
    return {
      why: 'no PostgreSQL target: set CUSTOS_PG_TARGET_URL, or install PostgreSQL (initdb, pg_ctl) or set CUSTOS_PG_BIN',
    };
  }
  let server: PrivatePostgres;
  try {
    server = await startWithRetry(bin);
  } catch (e) {
    // The scenes that need it are skipped and say why; the rest of the quickstart still runs.
    return {
      why: `the private PostgreSQL from ${bin} did not start (${e instanceof Error ? e.message : String(e)})`,
    };
  }
  // The connector resolves `env:` references in this process: the password never reaches a file.
  process.env[TARGET_PASSWORD_ENV] = server.password;
  const link = await openLink(server.host, server.port);
  return {
    target: {
      description: `a private PostgreSQL started for this quickstart from ${bin} (removed at the end)`,
      connection: connection(link.port, server.database, server.user, 'disable'),
      roleSuffix: '',
      link,
      close: async () => {
        await link.close();
        await server.stop();
      },
    },
  };
}

async function configured(
  raw: string,
  env: Readonly<Record<string, string | undefined>>,
  tag: string,
): Promise<PgTarget> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new CustosError('CONFIG_INVALID', 'CUSTOS_PG_TARGET_URL is not a URL'); // never echo it
  }
  if (!/^postgres(ql)?:$/.test(url.protocol) || url.hostname === '' || url.username === '') {
    throw new CustosError(
      'CONFIG_INVALID',
      'CUSTOS_PG_TARGET_URL must be postgres://USER[:PASSWORD]@HOST[:PORT]/DB',
    );
  }
  const password = url.password === '' ? env[TARGET_PASSWORD_ENV] : decodeURIComponent(url.password);
  if (password === undefined || password === '') {
    throw new CustosError(
      'CONFIG_INVALID',
      `the PostgreSQL target needs its admin password: in CUSTOS_PG_TARGET_URL or ${TARGET_PASSWORD_ENV}`,
    );
  }
  process.env[TARGET_PASSWORD_ENV] = password;
  const sslmode = url.searchParams.get('sslmode') ?? 'disable';
  // The link answers on 127.0.0.1, so a certificate for the real host name cannot verify-full.
  if (!['disable', 'require'].includes(sslmode)) {
    throw new CustosError('CONFIG_INVALID', 'CUSTOS_PG_TARGET_URL sslmode must be disable or require');
  }
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const link = await openLink(host, Number(url.port === '' ? 5432 : url.port));
  const database = decodeURIComponent(url.pathname.slice(1)) || 'postgres';
  return {
    description: `${redactUrl(raw)} (CUSTOS_PG_TARGET_URL)`,
    connection: connection(link.port, database, decodeURIComponent(url.username), sslmode),
    roleSuffix: `_${tag}`,
    link,
    close: () => link.close(),
  };
}

function connection(port: number, database: string, user: string, sslmode: string) {
  return {
    host: '127.0.0.1',
    port,
    database,
    user,
    password: `env:${TARGET_PASSWORD_ENV}`,
    sslmode,
  };
}

async function startWithRetry(bin: string) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startPrivatePostgres(bin, await freePort());
    } catch (e) {
      if (attempt >= 3) throw e;
    }
  }
}

/** A loopback port that was free a moment ago (another process may still take it: callers retry). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = address !== null && typeof address !== 'string' ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
