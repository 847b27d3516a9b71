/**
 * `custos runs`: list and show runs with their ledger records, and the named-person actions.
 *
 *   runs list [--state S] [--requester P] [--limit N] [--after CURSOR] [--json]
 *   runs show RUN [--json]                      the run and its records (index, time, type, actor)
 *   runs advance RUN [--secret-out FILE|-]      its requester executes an approved run
 *   runs resume RUN [--secret-out FILE|-]       retry a paused run (bounded, each attempt recorded)
 *   runs rollback RUN                           restore each applied step's prior state, verified
 *   runs abort RUN --reason TEXT                abandon a run that has not completed
 */
import { CustosError } from '../../core/errors.js';
import { intFlag, positional, required, wantsJson } from '../args.js';
import { withBackend, type Backend } from '../backend.js';
import { nextStep, prepareSecretOut, printExecuted } from '../executed.js';
import { EXIT, type CliIo, type ParsedArgs } from '../io.js';
import { RUN_COLUMNS, recordLines, runRow, runRows } from '../run-format.js';
import { printColumns } from './inventory-format.js';
import { printJson, printTable } from './open.js';

const USAGE =
  'usage: custos runs list [--state S] [--requester P] | show RUN | advance RUN | resume RUN | rollback RUN | abort RUN --reason TEXT';

export function runsCommand(args: ParsedArgs, io: CliIo): Promise<number> {
  const sub = args.positional[0];
  const id = () => positional(args, 1, USAGE);
  switch (sub) {
    case 'list':
      return withBackend(args, io, (b) => list(b, args, io));
    case 'show':
      return withBackend(args, io, (b) => show(b, id(), args, io));
    case 'advance':
    case 'resume':
      return withBackend(args, io, async ({ api, caller }) => {
        const { run } = await api.getRun(caller, { id: id() });
        prepareSecretOut(args, io, run.request.action);
        const input = { id: id() };
        const executed =
          sub === 'advance' ? await api.advanceRun(caller, input) : await api.resumeRun(caller, input);
        return printExecuted(args, io, executed);
      });
    case 'rollback':
    case 'abort':
      return withBackend(args, io, async ({ api, caller }) => {
        const run =
          sub === 'rollback'
            ? await api.rollbackRun(caller, { id: id() })
            : await api.abortRun(caller, { id: id(), reason: required(args, 'reason', USAGE) });
        if (wantsJson(args)) printJson(io, run);
        else printTable(io, runRows(run));
        return run.state === 'rolled_back' || run.state === 'aborted' ? EXIT.ok : EXIT.verifyFailed;
      });
    default:
      throw new CustosError('INPUT_INVALID', USAGE);
  }
}

async function list({ api, caller }: Backend, args: ParsedArgs, io: CliIo): Promise<number> {
  const limit = intFlag(args, 'limit', 1, 1000);
  const page = await api.listRuns(caller, {
    ...(args.flags['state'] === undefined ? {} : { state: args.flags['state'] as never }),
    ...(args.flags['requester'] === undefined ? {} : { requester: args.flags['requester'] }),
    ...(args.flags['after'] === undefined ? {} : { after: args.flags['after'] }),
    ...(limit === undefined ? {} : { limit }),
  });
  if (wantsJson(args)) printJson(io, page);
  else {
    printColumns(io, RUN_COLUMNS, page.items.map(runRow));
    if (page.next !== undefined) io.err(`more: --after ${page.next}\n`);
  }
  return EXIT.ok;
}

async function show({ api, caller }: Backend, id: string, args: ParsedArgs, io: CliIo): Promise<number> {
  const { run, records } = await api.getRun(caller, { id });
  if (wantsJson(args)) printJson(io, { run, records });
  else {
    printTable(io, runRows(run));
    io.out(`\nrecords (${records.length}):\n`);
    io.out(recordLines(records));
    io.err(nextStep(run));
  }
  return EXIT.ok;
}
