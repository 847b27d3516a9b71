/**
 * Printing a run after a call that may have executed it (request, runs advance, runs resume), and
 * handing over the secrets it issued: to the file --secret-out names (0600, never overwritten) or,
 * for `--secret-out -`, to stdout. A secret is never printed otherwise, nor in an error.
 */
import { CustosError } from '../core/errors.js';
import type { Run } from '../runs/index.js';
import type { Executed } from '../service/index.js';
import { checkSecretOut, deliverSecret, wantsJson } from './args.js';
import { EXIT, type CliIo, type ParsedArgs } from './io.js';
import { printJson, printTable } from './commands/open.js';
import { approvalsNeeded, runRows } from './run-format.js';

/** Actions whose run issues a credential that only its requester receives, once. */
export const ISSUING_ACTIONS: ReadonlySet<string> = new Set(['create', 'rotate']);

/** Before the call: a run that may issue a secret needs somewhere to put it. */
export function prepareSecretOut(args: ParsedArgs, io: CliIo, action: string): void {
  const out = args.flags['secret-out'];
  if (ISSUING_ACTIONS.has(action) && out === undefined) {
    throw new CustosError(
      'INPUT_INVALID',
      `a ${action} issues a secret, shown once: say where it goes with --secret-out FILE (or - for stdout)`,
    );
  }
  checkSecretOut(io, out);
}

/** States in which a run will not go on by itself: a refusal or a failure someone must look at. */
const NEGATIVE = new Set([
  'denied',
  'rejected',
  'expired',
  'paused',
  'rolled_back',
  'aborted',
  'unreconciled',
]);

/**
 * Prints the run (a table, or JSON with --json) and hands over its secrets. With `--secret-out -`
 * stdout carries only the secret (or, with --json, the JSON that includes it), so that
 * `TOKEN=$(custos request … --secret-out -)` works; the run's table then goes to stderr.
 */
export function printExecuted(args: ParsedArgs, io: CliIo, executed: Executed): number {
  const { run, secrets } = executed;
  const out = args.flags['secret-out'];
  const json = wantsJson(args);
  if (secrets.length > 0 && out === undefined) {
    // Unreachable through prepareSecretOut; never drop a secret silently.
    throw new CustosError('INPUT_INVALID', `run ${run.id} issued a secret but --secret-out was not given`);
  }
  const inJson = json && out === '-';
  // One secret a line, in the order the run issued them.
  const to =
    secrets.length === 0 || inJson ? 'json' : deliverSecret(io, out!, secrets.map((s) => s.value).join('\n'));
  const handed = secrets.map((s) => ({
    identity: s.identity,
    system: s.system,
    fingerprint: s.fingerprint,
    ...(s.expiresAt === undefined ? {} : { expiresAt: s.expiresAt }),
    deliveredTo: to,
    ...(inJson ? { value: s.value } : {}),
  }));
  if (json) printJson(io, { run, secrets: handed });
  else {
    const table: CliIo = out === '-' && secrets.length > 0 ? { ...io, out: (t) => io.err(t) } : io;
    printTable(table, runRows(run));
    // With several (a fan-out), line N of the output is the Nth credential listed here.
    for (const [i, s] of handed.entries())
      io.err(
        `issued ${s.fingerprint} for ${s.identity} on ${s.system}${s.expiresAt === undefined ? '' : ` (expires ${s.expiresAt})`}: ` +
          `written to ${s.deliveredTo}${handed.length > 1 ? `, line ${i + 1}` : ''}\n`,
      );
  }
  io.err(nextStep(run));
  return NEGATIVE.has(run.state) ? EXIT.verifyFailed : EXIT.ok;
}

/** What the people involved do next, on stderr (stdout stays the run itself). */
export function nextStep(run: Run): string {
  switch (run.state) {
    case 'awaiting_approval':
      return `waiting for ${approvalsNeeded(run)}: custos approve ${run.id} --as <approver>\n`;
    case 'approved':
      return `approved: its requester executes it with custos runs advance ${run.id}\n`;
    case 'paused':
      return `paused: a named person resumes (custos runs resume ${run.id}), rolls back or aborts it\n`;
    case 'unreconciled':
      return `the system's source of truth is stale: reconcile it, then custos runs resume ${run.id}\n`;
    default:
      return '';
  }
}
