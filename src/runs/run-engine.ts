/**
 * The accountable run engine: a request becomes a run, a durable state machine whose every
 * transition is a ledger record committed with the state change. request -> source-of-truth gate
 * -> decision (policy) -> approvals (signed, separation of duties) -> delegated authority ->
 * execution -> verification -> completed; any failure pauses the run for a named person.
 */
import crypto from 'node:crypto';
import { canonicalize, type JsonValue } from '../core/canonical-json.js';
import { CustosError } from '../core/errors.js';
import type { Connector } from '../connectors/contract.js';
import type { Inventory, System } from '../inventory/index.js';
import type { LedgerTx } from '../ledger/ledger-writer.js';
import type { Ledger } from '../ledger/ledger.js';
import type { Actor } from '../ledger/record.js';
import type { CedarEvaluator, Decision, LoadedBundle } from '../policy/index.js';
import { durationSeconds } from '../policy/duration.js';
import { requestDigest } from '../approvals/index.js';
import type { BundleRegistry, FanOutPart, PlainRequest } from '../workflows/index.js';
import { checkFanOut, decideRequest } from '../workflows/index.js';
import { checkSteps } from './check-steps.js';
import { gateFailure } from './gate.js';
import type { RunWrite, RunWriter } from './run-writes.js';
import type { SharedReads } from './shared-reads.js';
import { SYSTEM_ACTOR as SYSTEM } from '../ledger/ledger.js';
import { scheduleApprovalTimers } from './approval-timers.js';
import { grantLimitFailure } from './grant-limits.js';
import { planSteps, stepSummary, type PlannedStep, type Run } from './run-model.js';
import { targetsOf } from './run-steps.js';
import { afterTransition, transition, RUN_COLUMNS, toRun, type TransitionUpdate } from './run-store.js';
import { nextState } from './state-machine.js';

export interface RunEngineCoreDeps {
  readonly ledger: Ledger;
  readonly inventory: Inventory;
  readonly bundles: BundleRegistry;
  readonly now: () => Date;
  /** Where Cedar runs for the engine's decisions (a CedarThread's evaluate); default this thread. */
  readonly evaluate?: CedarEvaluator;
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

/** How filing reads and writes: through the engine's shared reads and its run writer. */
export interface FileDeps extends RunEngineCoreDeps {
  readonly writer: RunWriter;
  readonly reads: SharedReads;
  /** When given, each step is checked by its connector before the request is filed (check-steps.ts). */
  readonly connectors?: ReadonlyMap<string, Connector>;
}

/** Files a request as a run (idempotent per requester and idempotency key). */
export async function fileRun(deps: FileDeps, input: FileRequest): Promise<Run> {
  const filing = await prepareFiling(deps, input);
  return 'existing' in filing ? filing.existing : deps.writer.write(filing.write);
}

/**
 * A request checked and read against its idempotency key: the run already filed under that key, or
 * the write that files a new one (not yet written: it may commit with the run's decision).
 */
export type Filing = { readonly existing: Run } | { readonly write: RunWrite & { readonly run: Run } };

export async function prepareFiling(deps: FileDeps, input: FileRequest): Promise<Filing> {
  const actor = await actorOf(deps.inventory, input.requester);
  if (input.justification.trim() === '')
    throw new CustosError('INPUT_INVALID', 'a request needs a justification');
  if (!/^[\x21-\x7e]{1,128}$/.test(input.idempotencyKey))
    throw new CustosError('INPUT_INVALID', 'bad idempotency key');
  const { resource } = input.request;
  if ('identities' in resource) checkFanOut(input.request.action, resource.identities);
  const requestText = canonicalize(input.request);
  const inputHash = `sha256:${crypto.createHash('sha256').update(requestText).digest('hex')}`;
  const existing = await deps.reads.filedAs(input.requester, input.idempotencyKey);
  if (existing !== undefined) {
    if (existing.inputHash !== inputHash) {
      throw new CustosError('RUN_DUPLICATE', 'this idempotency key was used for a different request');
    }
    return { existing: await deps.reads.run(existing.id) };
  }
  const id = `run_${crypto.randomUUID()}`;
  if (deps.connectors !== undefined) await checkSteps(deps.inventory, deps.connectors, id, input.request);
  const now = deps.now();
  const run: Run = {
    id,
    requester: input.requester,
    idempotencyKey: input.idempotencyKey,
    request: JSON.parse(requestText) as Run['request'],
    inputHash,
    justification: input.justification,
    state: 'requested',
    reason: null,
    workflow: null,
    bundleHash: null,
    decision: null,
    digest: null,
    executor: null,
    attempts: 0,
    origin: null,
    claimedBy: null,
  };
  const write: RunWrite = {
    run,
    at: now,
    insert: { request: requestText },
    changes: [
      {
        record: {
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
        },
      },
    ],
  };
  return { write };
}

/**
 * What the decision of a requested run will record: its transition, the steps it plans and the
 * run as it leaves the transition (so execution can start in the same transaction, without
 * reading the run back).
 */
export interface PlannedDecision {
  readonly event: 'gate_failed' | 'decided_deny' | 'decided_auto' | 'decided_approvals';
  readonly payload: Record<string, JsonValue>;
  readonly update: TransitionUpdate;
  readonly steps: readonly PlannedStep[];
  readonly route: Decision['route'];
  /** The run once the decision is recorded. */
  readonly next: Run;
  /** The systems the run acts on, as read for the decision. */
  readonly systems: readonly System[];
  readonly now: Date;
}

/** requested -> unreconciled | denied | approved | awaiting_approval. */
export async function decideRun(deps: RunEngineCoreDeps, run: Run): Promise<Run> {
  const planned = await planDecision(deps, run);
  const { value } = await deps.ledger.transact((tx) => recordDecision(tx, run, planned));
  return value;
}

/** Decides a requested run (reads and policy only: nothing is written). */
export async function planDecision(
  deps: RunEngineCoreDeps & { readonly activeBundle?: () => Promise<LoadedBundle | undefined> },
  run: Run,
): Promise<PlannedDecision> {
  const bundle = await (deps.activeBundle ?? (() => deps.bundles.active()))();
  if (bundle === undefined) throw new CustosError('NOT_FOUND', 'no active workflow bundle: deploy one first');
  const { decision, parts } = await decideRequest(deps.inventory, bundle, run.request, deps.evaluate);
  const targets = await targetsOf(deps.inventory, run.request);
  const systems = await Promise.all(
    [...new Set(targets.map((t) => t.system))].map(async (id) => (await deps.inventory.getSystem(id))!),
  );
  const workflow = decision.workflow === undefined ? undefined : bundle.workflows.get(decision.workflow);
  const maxAge = workflow === undefined ? undefined : durationSeconds(workflow.maxReconciliationAge);
  const now = deps.now();
  // Every system the run would act on must pass the gate: the first that fails holds the run.
  const failed = systems
    .map((system) => ({ system, gate: gateFailure(system, maxAge, now) }))
    .find((g) => g.gate !== undefined);
  const digest = requestDigest({ request: run.request, decision, runId: run.id });
  const plan = (
    event: PlannedDecision['event'],
    payload: Record<string, JsonValue>,
    update: TransitionUpdate,
    steps: readonly PlannedStep[] = [],
  ): PlannedDecision => ({
    event,
    payload,
    update,
    steps,
    route: decision.route,
    next: afterTransition(run, nextState(run.state, event), update),
    systems,
    now,
  });
  if (failed !== undefined)
    return plan('gate_failed', { reason: failed.gate!, system: failed.system.id }, { reason: failed.gate! });
  const decisionJson = JSON.parse(JSON.stringify(decision)) as JsonValue;
  const limit = decision.allowed ? grantLimitFailure(run.request, workflow) : undefined;
  if (limit !== undefined) {
    return plan(
      'decided_deny',
      { allowed: false, reasons: [limit], determiningPolicies: [...decision.determiningPolicies], digest },
      {
        bundleHash: bundle.hash,
        decision: decisionJson,
        digest,
        ...(decision.workflow === undefined ? {} : { workflow: decision.workflow }),
        reason: limit,
      },
    );
  }
  const event = !decision.allowed
    ? 'decided_deny'
    : decision.route?.mode === 'auto'
      ? 'decided_auto'
      : 'decided_approvals';
  const steps = decision.allowed ? planSteps(run.request, targets) : [];
  return plan(
    event,
    {
      allowed: decision.allowed,
      riskTier: decision.riskTier ?? null,
      route: decision.route?.name ?? null,
      requirements: (decision.route?.requirements ?? []).map((r) => ({ group: r.group, count: r.count })),
      ordered: decision.route?.ordered ?? false,
      determiningPolicies: [...decision.determiningPolicies],
      reasons: [...decision.reasons],
      digest,
      steps: steps.map(stepSummary),
      ...(parts === undefined ? {} : { parts: parts.map(partSummary) }),
    },
    {
      bundleHash: bundle.hash,
      decision: decisionJson,
      digest,
      ...(decision.workflow === undefined
        ? {}
        : { workflow: decision.workflow, executor: `executor:${decision.workflow}` }),
      reason: decision.allowed ? null : decision.reasons.join('; '),
    },
    steps,
  );
}

/** Writes a planned decision in the caller's transaction: its steps, its transition, its timers. */
export async function recordDecision(tx: LedgerTx, run: Run, planned: PlannedDecision): Promise<Run> {
  for (const step of planned.steps) {
    await tx.run(
      `INSERT INTO run_steps (run_id, step_id, action, system_id, identity_id, params, status) VALUES (?, ?, ?, ?, ?, ?, 'planned')`,
      [run.id, step.stepId, step.action, step.systemId, step.identityId, JSON.stringify(step.params)],
    );
  }
  const next = await transition(tx, run, planned.event, SYSTEM, planned.payload, planned.update, planned.now);
  if (planned.event === 'decided_approvals' && planned.route !== undefined)
    await scheduleApprovalTimers(tx, run.id, planned.route, planned.now);
  return next;
}

/** A fan-out part as the decision record names it. */
function partSummary(p: FanOutPart): Record<string, JsonValue> {
  return {
    identity: p.identity,
    allowed: p.decision.allowed,
    riskTier: p.decision.riskTier ?? null,
    determiningPolicies: [...p.decision.determiningPolicies],
  };
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
