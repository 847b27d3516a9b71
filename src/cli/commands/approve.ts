/**
 * `custos approve RUN` / `custos deny RUN`: reads the run's request digest, signs it here with the
 * approver's local key (custos keys create), and sends only the signed approval. The engine checks
 * the signature, the key, and separation of duties (never the requester, one requirement per person).
 *
 *   custos approve RUN [--rationale TEXT] [--as P] [--key-dir DIR] [--json]
 *   custos deny RUN --rationale TEXT [--as P] [--key-dir DIR] [--json]
 */
import { CustosError } from '../../core/errors.js';
import { positional, required, wantsJson } from '../args.js';
import { whoAmI, withBackend } from '../backend.js';
import { nextStep } from '../executed.js';
import { EXIT, type CliIo, type ParsedArgs } from '../io.js';
import { keyDir, loadSigningKey, signLocally } from '../key-store.js';
import { printJson, printTable } from './open.js';
import { runRows } from '../run-format.js';

export function approveCommand(args: ParsedArgs, io: CliIo): Promise<number> {
  return decide(args, io, 'approve');
}

export function denyCommand(args: ParsedArgs, io: CliIo): Promise<number> {
  return decide(args, io, 'deny');
}

function decide(args: ParsedArgs, io: CliIo, decision: 'approve' | 'deny'): Promise<number> {
  const usage = `usage: custos ${decision} RUN ${decision === 'deny' ? '--rationale TEXT' : '[--rationale TEXT]'} [--as P] [--key-dir DIR]`;
  const runId = positional(args, 0, usage);
  // A denial always says why; so does a high-risk approval (the engine refuses one without).
  const rationale =
    decision === 'deny' ? required(args, 'rationale', usage) : (args.flags['rationale'] ?? '');
  return withBackend(args, io, async (backend) => {
    const principal = await whoAmI(backend);
    const key = loadSigningKey(keyDir(args, io), principal);
    const { run } = await backend.api.getRun(backend.caller, { id: runId });
    if (run.digest === null || run.state !== 'awaiting_approval') {
      throw new CustosError('RUN_NOT_APPROVABLE', `run ${runId} is ${run.state}, not awaiting approval`);
    }
    const approval = signLocally(key, { runId, digest: run.digest, decision, rationale }, new Date());
    const input = { id: runId, approval };
    const after =
      decision === 'approve'
        ? await backend.api.approveRun(backend.caller, input)
        : await backend.api.denyRun(backend.caller, input);
    if (wantsJson(args)) printJson(io, after);
    else {
      printTable(io, runRows(after));
      io.err(nextStep(after));
    }
    return EXIT.ok;
  });
}
