/** The quickstart's last words: what was shown, the verifier key, and what to try next. */
import path from 'node:path';
import type { CliIo } from '../io.js';

export interface Summary {
  readonly dataDir: string;
  readonly verifierKey: string;
  readonly evidenceDir: string;
  /** Scenes skipped for want of a PostgreSQL target. */
  readonly skipped: number;
  readonly seconds: number;
  /** HTTP requests the scenario made to the API. */
  readonly httpRequests: number;
}

export function tryNext(io: CliIo, s: Summary): void {
  const rel = (p: string) => path.relative(io.cwd, p) || '.';
  const data = rel(s.dataDir);
  const dataFlag = data === '.custos' ? '' : ` --data-dir ${data}`;
  const played = 7 - s.skipped;
  io.out(
    `\n${played} of 7 scenes played in ${s.seconds.toFixed(1)} s, through ${s.httpRequests} HTTP requests to the API; ` +
      `every step above is a record in the ledger in ${data}.\n` +
      (s.skipped > 0
        ? 'Scenes 2, 5 and 6 need a PostgreSQL target: install PostgreSQL (initdb, pg_ctl) or set CUSTOS_PG_TARGET_URL.\n'
        : '') +
      `\nVerifier key (give it to your auditors):\n  ${s.verifierKey}\n\n` +
      'Try next:\n' +
      `  npx custos runs list --as person:sara${dataFlag}           every run above, read from the local store\n` +
      `  npx custos runs show RUN --as person:sara${dataFlag}       one run and its ledger records\n` +
      `  npx custos alerts list --as person:pat${dataFlag}          the alerts the scenario raised\n` +
      `  npx custos ledger verify${dataFlag}                        recompute and check the live ledger\n` +
      `  npx custos verify ${rel(s.evidenceDir)} --key '${s.verifierKey}'\n` +
      '                                                 verify the export offline again, as an auditor would\n' +
      `  npx custos tokens bootstrap --for person:alice --out alice.token${dataFlag}\n` +
      '                                                 an admin API token for the server below (0600 file)\n' +
      `  npx custos serve --port 8080${dataFlag}                    the API on this store; then, in another shell:\n` +
      '  CUSTOS_TOKEN=$(cat alice.token) npx custos runs list --server http://127.0.0.1:8080\n' +
      `  npx custos keys create --as person:diana${dataFlag}        an approver's key, made on this machine\n` +
      '  docs/quickstart.md (what each scene showed) and docs/cli.md (every command, exit codes, environment)\n',
  );
}
