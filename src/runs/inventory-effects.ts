/**
 * What a verified run did to its identity, written back to the inventory in the transaction that
 * records the run verified, so the next request is decided against the state now in force: a
 * created identity enters the inventory (owned by its workflow's owners, at the risk tier the
 * decision gave it, with the issued credential's fingerprint), a rotation replaces the credential,
 * grants and revocations change the entitlements, suspend / enable / retire move the lifecycle
 * state. The change is recorded by the run's executor with the run id as correlation id, after
 * the run's own records; the runs verified in one group-commit body are written back together.
 *
 * The effect is already verified on the target, so a change the inventory refuses (someone edited
 * the identity meanwhile into a state the change cannot follow) does not undo or fail the run: it
 * raises an `inventory.out_of_sync` alert for reconciliation instead of being dropped silently.
 */
import { raiseAlert } from '../alerts/index.js';
import type { JsonValue } from '../core/canonical-json.js';
import type { Credential, Identity, IdentityChange, IdentityInput, Inventory } from '../inventory/index.js';
import type { LedgerTx } from '../ledger/ledger-writer.js';
import type { Workflow } from '../policy/workflow-schema.js';
import { notifyList } from './notify.js';
import { addToBody, type BodyBatch } from './run-write-body.js';
import type { Run } from './run-model.js';

/** A step of the run with the outputs its verified effect recorded. */
export interface DoneStep {
  readonly stepId: string;
  readonly action: string;
  readonly systemId: string;
  readonly identityId: string;
  readonly params: Readonly<Record<string, JsonValue>>;
  readonly outputs: Readonly<Record<string, JsonValue>>;
}

/** The inventory change one verified step makes (pure), or undefined when it changes nothing there. */
export function inventoryChange(
  step: DoneStep,
  identity: Identity | undefined,
  workflow: Pick<Workflow, 'owners'>,
  at: string,
  riskTier = 'medium',
): IdentityChange | undefined {
  const id = step.identityId;
  const credential = credentialOf(step.outputs, at);
  const listed = strings(step.params['entitlements']);
  switch (step.action) {
    case 'create': {
      const kind = step.params['kind'];
      if (identity !== undefined || typeof kind !== 'string') return undefined;
      const { business, policy, platform } = workflow.owners;
      const input = {
        id,
        kind,
        system: step.systemId,
        externalId: id,
        state: 'active',
        owners: { business, policy, platform },
        credentials: credential === undefined ? [] : [credential],
        entitlements: listed,
        riskTier,
      };
      return { mode: 'create', input: input as IdentityInput };
    }
    case 'rotate':
      return credential === undefined
        ? undefined
        : { mode: 'upsert', input: { id, credentials: [credential] } };
    case 'grant':
      return { mode: 'upsert', input: { id, entitlements: union(identity?.entitlements ?? [], listed) } };
    case 'revoke':
      return listed.length > 0
        ? { mode: 'upsert', input: { id, entitlements: minus(identity?.entitlements ?? [], listed) } }
        : { mode: 'upsert', input: { id, credentials: [] } };
    case 'suspend':
      return { mode: 'upsert', input: { id, state: 'suspended' } };
    case 'enable':
      return { mode: 'upsert', input: { id, state: 'active' } };
    case 'retire':
      return { mode: 'upsert', input: { id, state: 'retired', credentials: [] } };
    default:
      return undefined;
  }
}

export interface EffectDeps {
  readonly inventory: Inventory;
  readonly now: () => Date;
}

interface Verified {
  readonly run: Run;
  readonly steps: readonly DoneStep[];
  readonly workflow: Pick<Workflow, 'owners'>;
  readonly deps: EffectDeps;
}

/**
 * Writes each verified step's change into the inventory, in the run's `verified` transaction. In a
 * group-commit body (run-writes.ts) the changes of every run it records verified are written
 * together once all its runs' records are appended, each with its own run as correlation id.
 */
export function recordInventoryEffects(
  tx: LedgerTx,
  run: Run,
  steps: readonly DoneStep[],
  workflow: Pick<Workflow, 'owners'>,
  deps: EffectDeps,
): Promise<void> {
  return addToBody(tx, WRITE_BACK, { run, steps, workflow, deps });
}

const WRITE_BACK: BodyBatch<Verified> = {
  async run(tx, verified) {
    for (const inventory of new Set(verified.map((v) => v.deps.inventory))) {
      await writeBack(
        tx,
        verified.filter((v) => v.deps.inventory === inventory),
      );
    }
  },
};

async function writeBack(tx: LedgerTx, verified: readonly Verified[]): Promise<void> {
  const { inventory, now: clock } = verified[0]!.deps;
  const now = clock();
  const at = now.toISOString();
  const done = verified.flatMap(({ run, steps, workflow }) => steps.map((step) => ({ run, step, workflow })));
  const outcomes = await inventory.applyIdentitiesInTx(
    tx,
    done.map(({ run, step, workflow }) => ({
      id: step.identityId,
      actor: { kind: 'non_human', id: run.executor ?? `executor:${run.workflow ?? 'custos'}` },
      correlationId: run.id,
      change: (current: Identity | undefined) =>
        inventoryChange(step, current, workflow, at, run.decision?.riskTier),
    })),
  );
  for (const [i, outcome] of outcomes.entries()) {
    if (outcome.status !== 'refused') continue;
    const { run, step, workflow } = done[i]!;
    const problem = outcome.problems[0];
    await raiseAlert(
      tx,
      {
        subject: { kind: 'identity', id: step.identityId },
        correlationId: run.id,
        kind: 'inventory.out_of_sync',
        severity: 'warning',
        notify: notifyList([...Object.values(outcome.current?.owners ?? {}), workflow.owners.platform]),
        summary: `${run.id} changed ${step.identityId} on ${step.systemId} (${step.action}, verified) but the inventory refused the change: reconcile it`,
        details: { run: run.id, step: step.stepId, code: problem?.code ?? '', field: problem?.field ?? '' },
      },
      now,
    );
  }
}

function credentialOf(outputs: Readonly<Record<string, JsonValue>>, at: string): Credential | undefined {
  const fingerprint = outputs['fingerprint'];
  if (typeof fingerprint !== 'string') return undefined;
  const expires = outputs['expiresAt'] ?? outputs['validUntil'];
  return typeof expires === 'string'
    ? { fingerprint, issuedAt: at, expiresAt: expires }
    : { fingerprint, issuedAt: at };
}

function strings(value: JsonValue | undefined): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

function union(a: readonly string[], b: readonly string[]): string[] {
  return [...new Set([...a, ...b])].sort();
}

function minus(a: readonly string[], b: readonly string[]): string[] {
  const drop = new Set(b);
  return a.filter((e) => !drop.has(e));
}
