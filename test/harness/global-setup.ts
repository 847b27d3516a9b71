// vitest globalSetup: ONE private PostgreSQL 15 for the whole run. Tests read its base url with
// `inject('pgUrl')` (null when PostgreSQL is unavailable outside CI: skip such tests loudly) and
// isolate themselves with createDatabase() from ./postgres.js.
import type { TestProject } from 'vitest/node';
import { startPostgresOrSkip, warnLoudly } from './postgres.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** `postgres://postgres@127.0.0.1:PORT/custos`, or null when PostgreSQL could not start. */
    pgUrl: string | null;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const ci = process.env.CI === 'true';
  let handle;
  try {
    handle = await startPostgresOrSkip();
  } catch (err) {
    if (ci) throw err;
    warnLoudly(
      `Private PostgreSQL 15 could not start; PostgreSQL-backed tests will be SKIPPED.\n` +
        `(With CI=true this fails the run.)\n${err instanceof Error ? err.message : String(err)}`,
    );
    handle = undefined;
  }
  project.provide('pgUrl', handle?.url ?? null);
  if (handle) {
    console.log(`[global-setup] private PostgreSQL 15 at ${handle.url} (ready in ${handle.startMs} ms)`);
  }
  return async () => {
    await handle?.stop();
  };
}
