#!/usr/bin/env node
/** The `custos` command: argv parsing and dispatch only; each command lives in commands/. */
import { CustosError } from '../core/errors.js';
import { EXIT, parseArgs, type CliIo, type ParsedArgs } from './io.js';
import { BOOLEAN_FLAGS } from './args.js';
import { HELP } from './help.js';

type Command = (args: ParsedArgs, io: CliIo) => Promise<number>;

/**
 * Each command is loaded when it runs: `custos verify` never pays for the policy engine, the HTTP
 * server or the PostgreSQL driver.
 */
const COMMANDS: Record<string, () => Promise<Command>> = {
  init: async () => (await import('./commands/init.js')).initCommand,
  status: async () => (await import('./commands/status.js')).statusCommand,
  ledger: async () => (await import('./commands/ledger.js')).ledgerCommand,
  verify: async () => (await import('./commands/verify.js')).verifyCommand,
  quickstart: async () => (await import('./quickstart/quickstart.js')).quickstartCommand,
  workflows: async () => (await import('./commands/workflows.js')).workflowsCommand,
  systems: async () => (await import('./commands/inventory.js')).systemsCommand,
  identities: async () => (await import('./commands/inventory.js')).identitiesCommand,
  principals: async () => (await import('./commands/inventory.js')).principalsCommand,
  request: async () => (await import('./commands/request.js')).requestCommand,
  approve: async () => (await import('./commands/approve.js')).approveCommand,
  deny: async () => (await import('./commands/approve.js')).denyCommand,
  runs: async () => (await import('./commands/runs.js')).runsCommand,
  keys: async () => (await import('./commands/keys.js')).keysCommand,
  tokens: async () => (await import('./commands/tokens.js')).tokensCommand,
  alerts: async () => (await import('./commands/alerts.js')).alertsCommand,
  exceptions: async () => (await import('./commands/grants.js')).exceptionsCommand,
  'break-glass': async () => (await import('./commands/grants.js')).breakGlassCommand,
  serve: async () => (await import('./commands/serve.js')).serveCommand,
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
    if (name === 'witness') return await (await import('./commands/witness.js')).witnessCommand(rest, io);
    const load = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
    if (load === undefined) {
      io.err(`error INPUT_INVALID: unknown command ${name}\n\n${HELP}`);
      return EXIT.usage;
    }
    return await (
      await load()
    )(parseArgs(rest, BOOLEAN_FLAGS), io);
  } catch (e) {
    return report(e, io);
  }
}

/** The caller's to fix: malformed input, unknown ids, a run not in the state the command needs. */
const USAGE_ERRORS = new Set([
  'INPUT_INVALID',
  'CONFIG_INVALID',
  'FIELD_INVALID',
  'NOT_FOUND',
  'RUN_NOT_FOUND',
  'RUN_DUPLICATE',
  'RUN_TRANSITION_INVALID',
  'RUN_NOT_APPROVABLE',
  'PRINCIPAL_UNKNOWN',
  'PRINCIPAL_KIND_INVALID',
  'IDEMPOTENCY_KEY_REUSED',
  'BODY_TOO_LARGE',
]);

function report(e: unknown, io: CliIo): number {
  if (e instanceof CustosError) {
    const index = e.details['index'];
    io.err(`error ${e.code}: ${e.message}${index === undefined ? '' : ` (first bad index: ${index})`}\n`);
    if (VERIFY_FAILURES.test(e.code)) return EXIT.verifyFailed;
    return USAGE_ERRORS.has(e.code) ? EXIT.usage : EXIT.error;
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
