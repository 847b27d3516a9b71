/**
 * One client per system (rebuilt when its connection settings change), with the service's
 * capabilities discovered once; a failed discovery is forgotten, so the next call tries again.
 */
import { CustosError } from '../../core/errors.js';
import { OnceOk } from '../once-ok.js';
import type { TargetSystem } from '../contract.js';
import { parseConnection } from './scim-connection.js';
import { ScimClient, type RequestLogger } from './scim-http.js';
import { discover, type ServiceCapabilities } from './scim-service.js';

export interface PoolOptions {
  readonly resolveSecret: (ref: string) => string;
  readonly now: () => Date;
  readonly maxRetryWaitMs: number;
  readonly log?: RequestLogger;
}

interface Entry {
  readonly settings: string;
  readonly client: ScimClient;
  readonly caps: OnceOk<ServiceCapabilities>;
}

export class ServicePool {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly options: PoolOptions) {}

  async get(system: TargetSystem): Promise<{ client: ScimClient; caps: ServiceCapabilities }> {
    const conn = parseConnection(system);
    const settings = JSON.stringify(system.connection);
    let entry = this.entries.get(system.id);
    if (entry?.settings !== settings) {
      const { resolveSecret, ...options } = this.options;
      entry = {
        settings,
        client: new ScimClient(conn, resolveToken(system, conn.token, resolveSecret), options),
        caps: new OnceOk(),
      };
      this.entries.set(system.id, entry);
    }
    const { client } = entry;
    return { client, caps: await entry.caps.get(() => discover(client, system.id)) };
  }

  clear(): void {
    this.entries.clear();
  }
}

/** The resolver's own error may be anything: it is replaced, and only the reference is named. */
function resolveToken(system: TargetSystem, ref: string, resolve: (ref: string) => string): string {
  let token: string;
  try {
    token = resolve(ref);
  } catch {
    throw new CustosError('CONFIG_INVALID', `system ${system.id}: cannot resolve connection.token (${ref})`, {
      details: { system: system.id, field: 'token' },
    });
  }
  if (token === '' || /[\r\n]/.test(token)) {
    throw new CustosError(
      'CONFIG_INVALID',
      `system ${system.id}: connection.token resolves to an unusable value`,
      {
        details: { system: system.id, field: 'token' },
      },
    );
  }
  return token;
}
