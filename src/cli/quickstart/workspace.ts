/**
 * Where the quickstart plays: a fresh installation in the data directory (./.custos by default).
 * Re-running starts over: a directory a previous quickstart created (it holds a marker file) is
 * moved aside, never deleted; a directory holding anything else is refused, as is a PostgreSQL
 * store that already holds a ledger (the quickstart never mixes its demo data with yours).
 */
import fs from 'node:fs';
import path from 'node:path';
import { redactUrl, type Config } from '../../config/index.js';
import { CustosError } from '../../core/errors.js';
import { openStore } from '../../store/index.js';
import { Ledger } from '../../ledger/ledger.js';

const MARKER = 'quickstart.json';

export interface Workspace {
  /** What happened to an earlier quickstart's directory, if there was one. */
  readonly movedAside?: string;
}

/** Prepares an empty data directory and marks it as the quickstart's; `now` dates the move. */
export async function prepareWorkspace(config: Config, now: Date): Promise<Workspace> {
  const dir = config.dataDir;
  let movedAside: string | undefined;
  const used = fs.existsSync(dir) && fs.readdirSync(dir).length > 0;
  if (used && !fs.existsSync(path.join(dir, MARKER))) {
    throw new CustosError(
      'ALREADY_INITIALISED',
      `${dir} holds a Custos installation the quickstart did not create; it stays untouched: ` +
        'run the quickstart in another directory or set CUSTOS_DATA_DIR',
    );
  }
  // Refuse before moving anything: a failed start leaves everything where it was.
  if (config.databaseUrl !== undefined) await refuseUsedDatabase(config, config.databaseUrl);
  if (used) {
    movedAside = `${dir}.previous-${now.toISOString().replace(/[:.]/g, '-')}`;
    fs.renameSync(dir, movedAside);
  }
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  fs.writeFileSync(
    path.join(dir, MARKER),
    `${JSON.stringify({ createdBy: 'custos quickstart', createdAt: now.toISOString() })}\n`,
  );
  return movedAside === undefined ? {} : { movedAside };
}

async function refuseUsedDatabase(config: Config, url: string): Promise<void> {
  const store = await openStore(config);
  try {
    const ledger = new Ledger({ store, now: () => new Date() });
    if (await ledger.exists()) {
      throw new CustosError(
        'ALREADY_INITIALISED',
        `the database ${redactUrl(url)} already holds a Custos ledger; the quickstart needs an empty ` +
          'database and never deletes data in yours (e.g. createdb custos_quickstart and point ' +
          'CUSTOS_DATABASE_URL at it)',
      );
    }
  } finally {
    await store.close();
  }
}
