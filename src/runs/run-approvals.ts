/**
 * Approvals of a run: each is signed by the approver's Ed25519 key over the request digest,
 * verified before it counts, checked for separation of duties against the approver's group
 * memberships at this moment, and kept whole in the ledger so an auditor can verify it too.
 */
import type { JsonValue } from '../core/canonical-json.js';
import { CustosError } from '../core/errors.js';
import {
  approverKeyId,
  approverPublicKey,
  checkApprovalAllowed,
  evaluateApprovals,
  verifyApproval,
  type ApproverKey,
  type SignedApproval,
  type Vote,
} from '../approvals/index.js';
import type { Run } from './run-model.js';
import { readRun, transition } from './run-store.js';
import { actorOf, type RunEngineCoreDeps } from './run-engine.js';
import { executionStarted } from './state-machine.js';
import { runVotes } from './run-votes.js';

/** Registers a person's public key (the private key stays with them). */
export async function registerApproverKey(
  deps: RunEngineCoreDeps,
  principal: string,
  publicKey: string,
): Promise<string> {
  const actor = await actorOf(deps.inventory, principal);
  if (actor.kind !== 'human') throw new CustosError('PRINCIPAL_KIND_INVALID', 'only people approve');
  approverPublicKey(publicKey);
  const keyId = approverKeyId(publicKey);
  await deps.ledger.transact(async (tx) => {
    await tx.run(
      'INSERT INTO approver_keys (key_id, principal, public_key, registered_at) VALUES (?, ?, ?, ?)',
      [keyId, principal, publicKey, deps.now().toISOString()],
    );
    await tx.append({
      type: 'approvals.key_registered',
      correlationId: `key:${keyId}`,
      actor,
      subject: { kind: 'principal', id: principal },
      payload: { keyId, publicKey },
    });
  });
  return keyId;
}

async function keys(deps: RunEngineCoreDeps): Promise<Map<string, ApproverKey>> {
  const rows = await deps.ledger.store.read.query<{
    key_id: string;
    principal: string;
    public_key: string;
    registered_at: string;
    revoked_at: string | null;
  }>('SELECT key_id, principal, public_key, registered_at, revoked_at FROM approver_keys');
  return new Map(
    rows.map((r) => [
      r.key_id,
      {
        keyId: r.key_id,
        principal: r.principal,
        publicKey: r.public_key,
        registeredAt: r.registered_at,
        ...(r.revoked_at === null ? {} : { revokedAt: r.revoked_at }),
      },
    ]),
  );
}

/** Counts a signed approval or denial; the last needed approval moves the run to `approved`. */
export async function approveRun(
  deps: RunEngineCoreDeps,
  runId: string,
  approval: SignedApproval,
): Promise<Run> {
  const run = await readRun(deps.ledger.store.read, runId);
  if (executionStarted(run.state)) {
    throw new CustosError(
      'RUN_NOT_APPROVABLE',
      `run ${runId} is ${run.state}: execution has started, a decision can no longer change it`,
    );
  }
  if (run.state !== 'awaiting_approval' || run.decision?.route === undefined || run.digest === null) {
    throw new CustosError('RUN_NOT_APPROVABLE', `run ${runId} is ${run.state}, not awaiting approval`);
  }
  const keyMap = await keys(deps);
  const verified = verifyApproval(approval, {
    keys: (id) => keyMap.get(id),
    expectedDigest: run.digest,
    expectedRunId: run.id,
    now: deps.now,
  });
  const principal = await deps.inventory.getPrincipal(verified.principal);
  if (principal === undefined)
    throw new CustosError('PRINCIPAL_UNKNOWN', `unknown principal ${verified.principal}`);
  const now = deps.now().toISOString();
  const vote: Vote = {
    principal: verified.principal,
    decision: verified.decision,
    groups: principal.groups,
    at: now,
  };
  const route = run.decision.route;
  const ctx = {
    route,
    requester: run.requester,
    executor: run.executor ?? 'executor:unknown',
    approvals: await runVotes(deps.ledger.store.read, run.id),
  };
  checkApprovalAllowed(ctx, { ...vote, rationale: verified.rationale }, run.decision.riskTier);
  const evaluation = evaluateApprovals({ ...ctx, approvals: [...ctx.approvals, vote] });
  const actor = { kind: 'human' as const, id: verified.principal };
  const { value } = await deps.ledger.transact(async (tx) => {
    await tx.run(
      'INSERT INTO run_approvals (run_id, principal, decision, groups, signed, at) VALUES (?, ?, ?, ?, ?, ?)',
      [run.id, vote.principal, vote.decision, JSON.stringify(vote.groups), JSON.stringify(verified), now],
    );
    await tx.append({
      type: verified.decision === 'approve' ? 'run.approval_counted' : 'run.denial_counted',
      correlationId: run.id,
      actor,
      subject: { kind: 'run', id: run.id },
      ...(run.bundleHash === null ? {} : { bundleHash: run.bundleHash }),
      payload: {
        approval: verified as unknown as JsonValue,
        groups: [...vote.groups],
        pending: evaluation.pending,
      },
    });
    if (evaluation.denied)
      return transition(
        tx,
        run,
        'rejected',
        actor,
        { rationale: verified.rationale },
        { reason: verified.rationale },
        deps.now(),
      );
    if (evaluation.satisfied)
      return transition(tx, run, 'approved', actor, { assignment: evaluation.assignment }, {}, deps.now());
    return run;
  });
  return value;
}
