#!/usr/bin/env node
/** The `custos` command: argv parsing and dispatch only; each command lives in commands/. */
import { CustosError } from '../core/errors.js';
import { EXIT, parseArgs, type CliIo, type ParsedArgs } from './io.js';
import { initCommand } from './commands/init.js';
import { statusCommand } from './commands/status.js';
import { ledgerCommand } from './commands/ledger.js';
import { verifyCommand } from './commands/verify.js';
import { quickstartCommand } from './commands/quickstart.js';
import { witnessCommand } from './commands/witness.js';
import { workflowsCommand } from './commands/workflows.js';
import { identitiesCommand, principalsCommand, systemsCommand } from './commands/inventory.js';

const HELP = `custos — accountable automation for non-human identities

usage: custos <command> [options]

  init [--origin NAME]              create the log key and the ledger; print the verifier key
  status [--json]                   show the store and the ledger
  ledger verify [--key VKEY]        recompute and check the live ledger
  ledger checkpoint                 sign a checkpoint and collect witness cosignatures
  ledger witness add VKEY [--url URL]
                                    trust a witness for this log (and where to reach it)
  ledger export --out DIR [--from N --to M]
                                    write an export bundle (full, or a range with proofs)
  ledger proof --index N            print a c2sp.org/tlog-proof@v1 inclusion proof
  ledger prune --below N            retention: delete record bytes below N (proofs stay valid)
  verify DIR [--key VKEY | --key-file FILE] [--witness VKEY,...]
                                    verify an export offline
  witness init|add-log|serve|cosign|status
                                    run a C2SP witness with its own key and storage
  systems|identities|principals list [--json] [--after ID] [--limit N]
  systems|identities|principals show ID [--json]
  systems|identities|principals import FILE [--dry-run] [--as PRINCIPAL]
                                    the inventory; import YAML, JSON or CSV, all or nothing
                                    (acting principal: --as or CUSTOS_ACTOR)
  workflows lint DIR | test DIR     check a policy bundle: schema, Cedar, owners, routes; golden cases
  workflows diff OLD NEW            decisions a new version would change (DIR, hash or "active")
  workflows deploy DIR --as P       file a governed deployment (its policy owners must approve)
  workflows approve|reject HASH --as P [--rationale R]
  workflows versions | show HASH    every version, retrievable by hash
  workflows decide --request FILE [--bundle DIR|HASH] [--record --as P]
                                    decide a request against the inventory (exit 1 when denied)
  quickstart                        what \`npm start\` runs

global options: --data-dir DIR (CUSTOS_DATA_DIR), --database-url URL (CUSTOS_DATABASE_URL), --json
exit codes: 0 ok, 1 verification failed, 2 bad usage or input, 3 other error
`;

type Command = (args: ParsedArgs, io: CliIo) => Promise<number>;

const COMMANDS: Record<string, Command> = {
  init: initCommand,
  status: statusCommand,
  ledger: ledgerCommand,
  verify: verifyCommand,
  quickstart: quickstartCommand,
  workflows: workflowsCommand,
  systems: systemsCommand,
  identities: identitiesCommand,
  principals: principalsCommand,
};

const VERIFY_FAILURES =
  /^(RECORD_|LEAF_|NODE_|PROOF_|CHECKPOINT_|COSIGNATURE_|NOTE_|HASH_|EXPORT_MALFORMED|VKEY_)/;

async function run(argv: readonly string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    io.out(HELP);
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  try {
    if (name === 'witness') return await witnessCommand(rest, io);
    const command = COMMANDS[name];
    if (command === undefined) {
      io.err(`error INPUT_INVALID: unknown command ${name}\n\n${HELP}`);
      return EXIT.usage;
    }
    return await command(parseArgs(rest, ['json', 'dry-run', 'record']), io);
  } catch (e) {
    return report(e, io);
  }
}

function report(e: unknown, io: CliIo): number {
  if (e instanceof CustosError) {
    const index = e.details['index'];
    io.err(`error ${e.code}: ${e.message}${index === undefined ? '' : ` (first bad index: ${index})`}\n`);
    if (VERIFY_FAILURES.test(e.code)) return EXIT.verifyFailed;
    return e.code === 'INPUT_INVALID' || e.code === 'CONFIG_INVALID' ? EXIT.usage : EXIT.error;
  }
  io.err(`error INTERNAL: ${e instanceof Error ? e.message : String(e)}\n`);
  return EXIT.error;
}

const io: CliIo = {
  env: process.env,
  cwd: process.cwd(),
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
  isTty: process.stderr.isTTY,
};

process.exitCode = await run(process.argv.slice(2), io);
