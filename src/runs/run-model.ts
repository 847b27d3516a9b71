/** A run as stored, and its plan of connector steps (pure). */
import type { JsonValue } from '../core/canonical-json.js';
import type { StepAction } from '../connectors/contract.js';
import type { Decision } from '../policy/index.js';
import type { PlainRequest } from '../workflows/index.js';
import type { RunState } from './state-machine.js';

export interface Run {
  readonly id: string;
  readonly requester: string;
  readonly idempotencyKey: string;
  readonly request: PlainRequest;
  readonly inputHash: string;
  readonly justification: string;
  readonly state: RunState;
  readonly reason: string | null;
  readonly workflow: string | null;
  readonly bundleHash: string | null;
  readonly decision: Decision | null;
  readonly digest: string | null;
  readonly executor: string | null;
  readonly attempts: number;
  /** Set on runs Custos files itself: the grant it revokes or the record it remediates. */
  readonly origin: RunOrigin | null;
  /** The executor instance that started (or last took over) its execution (run-claims.ts). */
  readonly claimedBy: string | null;
}

export interface RunOrigin {
  readonly kind: 'revokes' | 'remediates';
  /** The exception or break-glass grant. */
  readonly grant: string;
  /** The run that opened the grant. */
  readonly run: string;
}

export interface PlannedStep {
  readonly stepId: string;
  readonly action: StepAction;
  readonly systemId: string;
  readonly identityId: string;
  readonly params: Readonly<Record<string, JsonValue>>;
}

/** An identity a request acts on, and its system. */
export interface StepTarget {
  readonly identity: string;
  readonly system: string;
}

const DIRECT: Readonly<Record<string, StepAction>> = {
  create: 'create',
  grant: 'grant',
  revoke: 'revoke',
  rotate: 'rotate',
  suspend: 'suspend',
  retire: 'retire',
};

/**
 * The connector steps a request needs. An exception changes nothing on the target (it waives a
 * control, recorded with its expiry); break-glass grants its entitlements, revoked by a run of its
 * own at expiry.
 */
export function planSteps(request: PlainRequest, targets: readonly StepTarget[]): PlannedStep[] {
  const action = request.action === 'break_glass' ? 'grant' : DIRECT[request.action];
  if (action === undefined) return [];
  const context = request.context ?? {};
  const params: Record<string, JsonValue> = {};
  for (const key of ['entitlements', 'durationMinutes', 'overlapSeconds', 'ttlSeconds'] as const) {
    const value = context[key];
    if (value !== undefined) params[key] = value;
  }
  // The credential a create or rotate issues lives as long as the request says (and policy allowed).
  const minutes = context['durationMinutes'];
  if (
    (action === 'create' || action === 'rotate') &&
    typeof minutes === 'number' &&
    params['ttlSeconds'] === undefined
  )
    params['ttlSeconds'] = minutes * 60;
  if ('new' in request.resource) params['kind'] = request.resource.new.kind;
  // One step per identity, in the order the request names them (a fan-out: one per system).
  return targets.map((t, i) => ({
    stepId: `s${i + 1}`,
    action,
    systemId: t.system,
    identityId: t.identity,
    params: { ...params },
  }));
}

/** A planned step as the decision record names it. */
export function stepSummary(s: PlannedStep): Record<string, string> {
  return { stepId: s.stepId, action: s.action, system: s.systemId, identity: s.identityId };
}
