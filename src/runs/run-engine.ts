/**
 * The accountable run engine: a request becomes a run, a durable state machine whose every
 * transition is a ledger record committed with the state change. request -> source-of-truth gate
 * -> decision (policy) -> approvals (signed, separation of duties) -> delegated authority ->
 * execution -> verification -> completed; any failure pauses the run for a named person.
 */
import crypto from 'node:crypto';
import { canonicalize, type JsonValue } from '../core/canonical-json.js';
import { CustosError } from '../core/errors.js';
import type { Inventory } from '../inventory/index.js';
import type { Ledger } from '../ledger/ledger.js';
import type { Actor } from '../ledger/record.js';
import { decide } from '../policy/index.js';
import { durationSeconds } from '../policy/duration.js';
import { requestDigest } from '../approvals/index.js';
import type { BundleRegistry, PlainRequest } from '../workflows/index.js';
import { requestFromInventory } from '../workflows/index.js';
import { gateFailure } from './gate.js';
import { SYSTEM_ACTOR as SYSTEM } from '../ledger/ledger.js';
import { scheduleApprovalTimers } from './approval-timers.js';
import { grantLimitFailure } from './grant-limits.js';
import { planSteps, type Run } from './run-model.js';
import { readRun, transition, RUN_COLUMNS, toRun } from './run-store.js';

export interface RunEngineCoreDeps {
  readonly ledger: Ledger;
  readonly inventory: Inventory;
  readonly bundles: BundleRegistry;
  readonly now: () => Date;
}

export interface FileRequest {
  readonly request: PlainRequest;
  readonly requester: string;
  readonly justification: string;
  readonly idempotencyKey: string;
}

/** Who acts, as a ledger actor; only known people and services act. */
export async function actorOf(inventory: Inventory, id: string): Promise<Actor> {
  const principal = await inventory.getPrincipal(id);
  if (principal === undefined || principal.kind === 'group') {
    throw new CustosError('PRINCIPAL_UNKNOWN', `${id} is not a known person or service`);
  }
  return { kind: principal.kind === 'person' ? 'human' : 'non_human', id };
}

/** Files a request as a run (idempotent per requester and idempotency key). */
export async function fileRun(deps: RunEngineCoreDeps, input: FileRequest): Promise<Run> {
  const actor = await actorOf(deps.inventory, input.requester);
  if (input.justification.trim() === '')
    throw new CustosError('INPUT_INVALID', 'a request needs a justification');
  if (!/^[\x21-\x7e]{1,128}$/.test(input.idempotencyKey))
    throw new CustosError('INPUT_INVALID', 'bad idempotency key');
  const requestText = canonicalize(input.request);
  const inputHash = `sha256:${crypto.createHash('sha256').update(requestText).digest('hex')}`;
  const existing = await deps.ledger.store.read.query<{ id: string; input_hash: string }>(
    'SELECT id, input_hash FROM runs WHERE requester = ? AND idempotency_key = ?',
    [input.requester, input.idempotencyKey],
  );
  if (existing[0] !== undefined) {
    if (existing[0].input_hash !== inputHash) {
      throw new CustosError('RUN_DUPLICATE', 'this idempotency key was used for a different request');
    }
    return readRun(deps.ledger.store.read, existing[0].id);
  }
  const id = `run_${crypto.randomUUID()}`;
  const now = deps.now().toISOString();
  await deps.ledger.transact(async (tx) => {
    await tx.run(
      `INSERT INTO runs (id, requester, idempotency_key, request, input_hash, justification, state, attempts, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, 'requested', 0, ?, ?)`,
      [id, input.requester, input.idempotencyKey, requestText, inputHash, input.justification, now, now],
    );
    await tx.append({
      type: 'run.requested',
      correlationId: id,
      actor,
      subject: { kind: 'run', id },
      payload: {
        request: JSON.parse(requestText) as JsonValue,
        inputHash,
        justification: input.justification,
        idempotencyKey: input.idempotencyKey,
      },
    });
  });
  return readRun(deps.ledger.store.read, id);
}

/** requested -> unreconciled | denied | approved | awaiting_approval. */
export async function decideRun(deps: RunEngineCoreDeps, run: Run): Promise<Run> {
  const bundle = await deps.bundles.active();
  if (bundle === undefined) throw new CustosError('NOT_FOUND', 'no active workflow bundle: deploy one first');
  const request = await requestFromInventory(deps.inventory, bundle, run.request);
  const decision = decide(bundle, request);
  const systemId = await systemOf(deps.inventory, run.request);
  const system = (await deps.inventory.getSystem(systemId))!;
  const workflow = decision.workflow === undefined ? undefined : bundle.workflows.get(decision.workflow);
  const maxAge = workflow === undefined ? undefined : durationSeconds(workflow.maxReconciliationAge);
  const now = deps.now();
  const gate = gateFailure(system, maxAge, now);
  const digest = requestDigest({ request: run.request, decision, runId: run.id });
  await deps.ledger.transact(async (tx) => {
    if (gate !== undefined) {
      await transition(
        tx,
        run,
        'gate_failed',
        SYSTEM,
        { reason: gate, system: system.id },
        { reason: gate },
        now,
      );
      return;
    }
    const limit = decision.allowed ? grantLimitFailure(run.request, workflow) : undefined;
    if (limit !== undefined) {
      await transition(
        tx,
        run,
        'decided_deny',
        SYSTEM,
        { allowed: false, reasons: [limit], determiningPolicies: [...decision.determiningPolicies], digest },
        {
          bundleHash: bundle.hash,
          decision: JSON.parse(JSON.stringify(decision)) as JsonValue,
          digest,
          ...(decision.workflow === undefined ? {} : { workflow: decision.workflow }),
          reason: limit,
        },
        now,
      );
      return;
    }
    const event = !decision.allowed
      ? 'decided_deny'
      : decision.route?.mode === 'auto'
        ? 'decided_auto'
        : 'decided_approvals';
    const steps = decision.allowed ? planSteps(run.request, system.id) : [];
    for (const step of steps) {
      await tx.run(
        `INSERT INTO run_steps (run_id, step_id, action, system_id, identity_id, params, status) VALUES (?, ?, ?, ?, ?, ?, 'planned')`,
        [run.id, step.stepId, step.action, step.systemId, step.identityId, JSON.stringify(step.params)],
      );
    }
    await transition(
      tx,
      run,
      event,
      SYSTEM,
      {
        allowed: decision.allowed,
        riskTier: decision.riskTier ?? null,
        route: decision.route?.name ?? null,
        requirements: (decision.route?.requirements ?? []).map((r) => ({ group: r.group, count: r.count })),
        ordered: decision.route?.ordered ?? false,
        determiningPolicies: [...decision.determiningPolicies],
        reasons: [...decision.reasons],
        digest,
        steps: steps.map((s) => ({
          stepId: s.stepId,
          action: s.action,
          system: s.systemId,
          identity: s.identityId,
        })),
      },
      {
        bundleHash: bundle.hash,
        decision: JSON.parse(JSON.stringify(decision)) as JsonValue,
        digest,
        ...(decision.workflow === undefined
          ? {}
          : { workflow: decision.workflow, executor: `executor:${decision.workflow}` }),
        reason: decision.allowed ? null : decision.reasons.join('; '),
      },
      now,
    );
    if (event === 'decided_approvals' && decision.route !== undefined)
      await scheduleApprovalTimers(tx, run.id, decision.route, now);
  });
  return readRun(deps.ledger.store.read, run.id);
}

async function systemOf(inventory: Inventory, plain: PlainRequest): Promise<string> {
  if ('new' in plain.resource) return plain.resource.new.system;
  const identity = await inventory.getIdentity(plain.resource.identity);
  if (identity === undefined) throw new CustosError('NOT_FOUND', `no identity ${plain.resource.identity}`);
  return identity.system;
}

export async function listRuns(deps: RunEngineCoreDeps, state?: string): Promise<Run[]> {
  const rows = await deps.ledger.store.read.query<Parameters<typeof toRun>[0] & Record<string, unknown>>(
    state === undefined
      ? `SELECT ${RUN_COLUMNS} FROM runs ORDER BY created_at, id`
      : `SELECT ${RUN_COLUMNS} FROM runs WHERE state = ? ORDER BY created_at, id`,
    state === undefined ? [] : [state],
  );
  return rows.map(toRun);
}
