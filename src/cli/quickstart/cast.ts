/**
 * The people and services of the scenario, each talking to the API with an API token of its own (as
 * their own tools would), and the approvers' signing keys, made on this machine the way
 * `custos keys create` makes them (0600 files) with only the public half registered.
 */
import type { Run } from '../../runs/index.js';
import type { Caller, CustosApi, InputOf, OperationName, OutputOf } from '../../service/index.js';
import type { SignedApproval } from '../../approvals/index.js';
import { HttpClient } from '../../api/index.js';
import { createSigningKey, signLocally } from '../key-store.js';

export interface Cast {
  /** Calls `op` over HTTP as `principal` (with that principal's API token). */
  call<K extends OperationName>(principal: string, op: K, input: InputOf<K>): Promise<OutputOf<K>>;
  /** `principal` signs the run's request digest with their local key. */
  sign(principal: string, run: Run, decision: 'approve' | 'deny', rationale: string): SignedApproval;
}

export interface CastOptions {
  readonly baseUrl: string;
  /** The admin who issues everyone else's token, and that admin's bootstrap token. */
  readonly admin: { readonly principal: string; readonly token: string };
  readonly members: readonly string[];
  readonly approvers: readonly string[];
  readonly keyDir: string;
  readonly now: () => Date;
}

export async function assembleCast(options: CastOptions): Promise<Cast> {
  const clients = new Map<string, CustosApi>();
  const client = (token: string) => new HttpClient({ baseUrl: options.baseUrl, token });
  clients.set(options.admin.principal, client(options.admin.token));
  const cast: Cast = {
    call: (principal, op, input) => {
      const api = clients.get(principal);
      if (api === undefined) throw new TypeError(`${principal} is not in the cast`);
      const caller: Caller = { principal };
      return (api[op] as (c: Caller, i: typeof input) => Promise<OutputOf<typeof op>>)(caller, input);
    },
    sign: (principal, run, decision, rationale) => {
      const key = keys.get(principal);
      if (key === undefined || run.digest === null) throw new TypeError(`${principal} cannot sign ${run.id}`);
      return signLocally(key, { runId: run.id, digest: run.digest, decision, rationale }, options.now());
    },
  };
  for (const principal of options.members) {
    if (clients.has(principal)) continue;
    const issued = await cast.call(options.admin.principal, 'issueApiToken', {
      principal,
      name: 'quickstart',
      expiresInDays: 1,
    });
    clients.set(principal, client(issued.token));
  }
  const keys = new Map<string, ReturnType<typeof createSigningKey>>();
  for (const principal of options.approvers) {
    const key = createSigningKey(options.keyDir, principal);
    keys.set(principal, key);
    await cast.call(principal, 'registerKey', { principal, publicKey: key.publicKey });
  }
  return cast;
}
