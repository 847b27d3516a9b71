/**
 * Where a command's operations go: the local store, through the same service a server runs
 * (acting principal from --as or CUSTOS_ACTOR), or a remote server (--server URL or CUSTOS_SERVER,
 * the API token from CUSTOS_TOKEN, never from a flag: flags end up in shell history and `ps`).
 */
import { CustosError } from '../core/errors.js';
import { parseConfig } from '../config/index.js';
import { openCustos } from '../main.js';
import { LocalService, type Caller, type CustosApi } from '../service/index.js';
import { HttpClient } from '../api/index.js';
import type { CliIo, ParsedArgs } from './io.js';
import { actingPrincipal, serverUrl } from './args.js';

export interface Backend {
  readonly api: CustosApi;
  readonly caller: Caller;
  /** `local <store>` or the server's URL, for messages. */
  readonly where: string;
  readonly remote: boolean;
  close(): Promise<void>;
}

export { actingPrincipal, serverUrl };

/**
 * Opens the backend for one command. Locally, `anonymous` commands (public reads) may run without
 * an acting principal; everything else needs one. Remotely, the token names the principal.
 */
export async function openBackend(args: ParsedArgs, io: CliIo, anonymous = false): Promise<Backend> {
  const server = serverUrl(args, io);
  if (server !== undefined) {
    const token = io.env['CUSTOS_TOKEN'];
    if (token === undefined || token === '')
      throw new CustosError('UNAUTHENTICATED', 'set CUSTOS_TOKEN to your API token to use --server');
    let base: URL;
    try {
      base = new URL(server);
    } catch {
      throw new CustosError('INPUT_INVALID', '--server must be a URL such as http://127.0.0.1:8080');
    }
    const api = new HttpClient({ baseUrl: base.toString(), token });
    const caller: Caller = { principal: actingPrincipal(args, io) ?? 'person:token-holder' };
    return { api, caller, where: base.origin, remote: true, close: () => Promise.resolve() };
  }
  const principal = actingPrincipal(args, io);
  if (principal === undefined && !anonymous)
    throw new CustosError('INPUT_INVALID', 'say who acts: --as PRINCIPAL or CUSTOS_ACTOR (or use --server)');
  const custos = await openCustos(parseConfig({ env: io.env, flags: args.flags, cwd: io.cwd }));
  const api = new LocalService(custos);
  return {
    api,
    caller: { principal: principal ?? 'person:anonymous' },
    where: `local ${custos.store.description}`,
    remote: false,
    close: () => custos.close(),
  };
}

/** Runs `fn` with an open backend and closes it afterwards. */
export async function withBackend(
  args: ParsedArgs,
  io: CliIo,
  fn: (backend: Backend) => Promise<number>,
  anonymous = false,
): Promise<number> {
  const backend = await openBackend(args, io, anonymous);
  try {
    return await fn(backend);
  } finally {
    await backend.close();
  }
}

/** The principal the caller acts as: --as locally, the token's holder remotely. */
export async function whoAmI(backend: Backend): Promise<string> {
  if (!backend.remote) return backend.caller.principal;
  return (await backend.api.whoami(backend.caller, {})).principal;
}
