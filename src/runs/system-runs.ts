/**
 * Runs Custos files itself, inside the transaction of the timer that calls for them: the
 * automatic revocation of break-glass at its expiry and the remediation of an expired exception.
 * They are pre-authorised by the decision that opened the grant (same bundle, same workflow,
 * recorded as the origin), so they go straight to `approved` and execute with their own
 * short-lived authority; every record links back to the grant and the run that opened it.
 */
import crypto from 'node:crypto';
import { canonicalize, type JsonValue } from '../core/canonical-json.js';
import type { LedgerTx } from '../ledger/ledger-writer.js';
import { requestDigest } from '../approvals/index.js';
import type { Decision } from '../policy/index.js';
import { requestedIdentities, type PlainRequest } from '../workflows/index.js';
import { planSteps, stepSummary, type RunOrigin } from './run-model.js';
import { readRun, transition } from './run-store.js';
import { SYSTEM_ACTOR as SYSTEM } from '../ledger/ledger.js';

export interface SystemRunInput {
  readonly request: PlainRequest;
  readonly systemId: string;
  readonly workflow: string;
  readonly bundleHash: string;
  readonly origin: RunOrigin;
  readonly justification: string;
}

/** Files and pre-approves a system run; returns its id (execute it after the commit). */
export async function fileSystemRun(tx: LedgerTx, input: SystemRunInput, now: Date): Promise<string> {
  const id = `run_${crypto.randomUUID()}`;
  const requestText = canonicalize(input.request);
  const inputHash = `sha256:${crypto.createHash('sha256').update(requestText).digest('hex')}`;
  const at = now.toISOString();
  const origin = input.origin as unknown as JsonValue;
  await tx.run(
    `INSERT INTO runs (id, requester, idempotency_key, request, input_hash, justification, state, attempts, origin, created_at, updated_at)
     VALUES (?, ?, ?, ?, ?, ?, 'requested', 0, ?, ?, ?)`,
    [
      id,
      SYSTEM.id,
      `${input.origin.kind}:${input.origin.grant}`,
      requestText,
      inputHash,
      input.justification,
      JSON.stringify(origin),
      at,
      at,
    ],
  );
  await tx.append({
    type: 'run.requested',
    correlationId: id,
    actor: SYSTEM,
    subject: { kind: 'run', id },
    refs: [],
    payload: {
      request: JSON.parse(requestText) as JsonValue,
      inputHash,
      justification: input.justification,
      idempotencyKey: `${input.origin.kind}:${input.origin.grant}`,
      origin,
    },
  });
  const decision: Decision = {
    allowed: true,
    reasons: [`${input.origin.kind} grant ${input.origin.grant} opened by ${input.origin.run}`],
    riskTier: 'low',
    route: {
      name: 'system',
      mode: 'auto',
      requirements: [],
      ordered: false,
      expiresAfter: undefined,
      remindAfter: undefined,
      escalateAfter: undefined,
    },
    determiningPolicies: [],
    workflow: input.workflow,
    bundleHash: input.bundleHash,
  };
  const digest = requestDigest({ request: input.request, decision, runId: id });
  // A system run acts on the one identity of the grant it revokes or remediates.
  const identity = requestedIdentities(input.request)[0] ?? '';
  const steps = planSteps(input.request, [{ identity, system: input.systemId }]);
  for (const step of steps) {
    await tx.run(
      `INSERT INTO run_steps (run_id, step_id, action, system_id, identity_id, params, status) VALUES (?, ?, ?, ?, ?, ?, 'planned')`,
      [id, step.stepId, step.action, step.systemId, step.identityId, JSON.stringify(step.params)],
    );
  }
  const run = await readRun(tx, id);
  await transition(
    tx,
    run,
    'decided_auto',
    SYSTEM,
    {
      allowed: true,
      route: 'system',
      origin,
      digest,
      steps: steps.map(stepSummary),
    },
    {
      bundleHash: input.bundleHash,
      decision: JSON.parse(JSON.stringify(decision)) as JsonValue,
      digest,
      workflow: input.workflow,
      executor: `executor:${input.workflow}`,
    },
    now,
  );
  return id;
}
