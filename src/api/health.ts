/**
 * Liveness and readiness. /healthz: the process answers. /readyz: the store answers, every
 * migration this build knows is applied, and the ledger exists — else 503 with what failed.
 */
import type { Custos } from '../main.js';
import { MIGRATIONS } from '../store/migrations/index.js';

type Check = 'ok' | 'failed';

export interface Readiness {
  readonly ready: boolean;
  readonly checks: Readonly<Record<'store' | 'migrations' | 'ledger', Check>>;
}

/** A check that fails, rather than throws, whatever the store does (a closed one may throw at once). */
async function probe(check: () => Promise<boolean>): Promise<Check> {
  try {
    return (await check()) ? 'ok' : 'failed';
  } catch {
    return 'failed';
  }
}

export async function readiness(custos: Custos): Promise<Readiness> {
  const read = custos.store.read;
  const latest = MIGRATIONS.at(-1)?.version ?? 0;
  const store = await probe(async () => (await read.query('SELECT 1 AS one')).length === 1);
  const migrations = await probe(async () => {
    const rows = await read.query<{ version: number | null }>(
      'SELECT MAX(version) AS version FROM schema_migrations',
    );
    return (rows[0]?.version ?? 0) >= latest;
  });
  const ledger = await probe(() => custos.ledger.exists());
  const checks = { store, migrations, ledger };
  return { ready: Object.values(checks).every((c) => c === 'ok'), checks };
}
