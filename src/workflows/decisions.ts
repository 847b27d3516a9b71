/**
 * Policy decisions against the inventory: a plain request (who, what, on which identity) is turned
 * into Cedar entities from the inventory's current state and decided by a bundle. A recorded
 * decision is a ledger record (with the bundle hash and the determining policy ids) committed with
 * its projection row, so `workflows diff` can replay recorded decisions against a new version.
 */
import crypto from 'node:crypto';
import { CustosError } from '../core/errors.js';
import type { JsonValue } from '../core/canonical-json.js';
import type { Inventory } from '../inventory/index.js';
import type { Ledger } from '../ledger/ledger.js';
import type { Actor } from '../ledger/record.js';
import {
  buildEntities,
  decide,
  decideWith,
  type CedarEvaluator,
  type Decision,
  type DecisionRequest,
  type EntityFixtures,
  type LoadedBundle,
  type NewIdentity,
} from '../policy/index.js';
import type { Action } from '../policy/vocabulary.js';
import { checkFanOut, combineDecisions, type FanOutPart } from './fan-out.js';

/** What a requester says; entities come from the inventory, never from the request. */
export interface PlainRequest {
  readonly principal: string;
  readonly action: Action;
  /** One identity, a new one, or several (fan-out.ts: the same change on each). */
  readonly resource:
    | { readonly identity: string }
    | { readonly new: NewIdentity }
    | { readonly identities: readonly string[] };
  readonly context?: Readonly<Record<string, JsonValue>>;
}

/** The existing identities a request names (none for a create). */
export function requestedIdentities(plain: PlainRequest): readonly string[] {
  const r = plain.resource;
  return 'identities' in r ? r.identities : 'identity' in r ? [r.identity] : [];
}

/**
 * Decides a plain request against the inventory: one Cedar decision, or for a fan-out request one
 * per identity, combined (fan-out.ts). Returns the parts of a fan-out for the decision record.
 * With `evaluate`, Cedar runs there (a CedarThread) instead of on this thread: same decision.
 */
export async function decideRequest(
  inventory: Inventory,
  bundle: LoadedBundle,
  plain: PlainRequest,
  evaluate?: CedarEvaluator,
): Promise<{ decision: Decision; parts?: readonly FanOutPart[] }> {
  const decideOne = (request: DecisionRequest): Decision | Promise<Decision> =>
    evaluate === undefined ? decide(bundle, request) : decideWith(bundle, request, evaluate);
  if (!('identities' in plain.resource))
    return { decision: await decideOne(await requestFromInventory(inventory, bundle, plain)) };
  checkFanOut(plain.action, plain.resource.identities);
  const parts: FanOutPart[] = [];
  for (const identity of plain.resource.identities) {
    const part = await requestFromInventory(inventory, bundle, { ...plain, resource: { identity } });
    parts.push({ identity, decision: await decideOne(part) });
  }
  return { decision: combineDecisions(parts, bundle.hash), parts };
}

export async function requestFromInventory(
  inventory: Inventory,
  bundle: LoadedBundle,
  plain: PlainRequest,
): Promise<DecisionRequest> {
  const principal = await inventory.getPrincipal(plain.principal);
  if (principal === undefined || principal.kind === 'group') {
    throw new CustosError('PRINCIPAL_UNKNOWN', `${plain.principal} is not a known person or service`);
  }
  const fixtures: {
    principals: EntityFixtures['principals'];
    systems: NonNullable<EntityFixtures['systems']>[number][];
    identities: NonNullable<EntityFixtures['identities']>[number][];
  } = {
    principals: [{ id: principal.id, groups: principal.groups }],
    systems: [],
    identities: [],
  };
  if ('identities' in plain.resource) {
    throw new TypeError('a fan-out request is decided one identity at a time: use decideRequest');
  }
  let systemId: string;
  if ('identity' in plain.resource) {
    const identity = await inventory.getIdentity(plain.resource.identity);
    if (identity === undefined) throw new CustosError('NOT_FOUND', `no identity ${plain.resource.identity}`);
    systemId = identity.system;
    fixtures.identities.push({
      id: identity.id,
      kind: identity.kind,
      system: identity.system,
      entitlements: identity.entitlements,
      tags: Object.entries(identity.tags).map(([k, v]) => `${k}:${v}`),
    });
  } else {
    systemId = plain.resource.new.system;
  }
  const system = await inventory.getSystem(systemId);
  if (system === undefined) throw new CustosError('SYSTEM_UNKNOWN', `no system ${systemId}`);
  fixtures.systems.push({ id: system.id, type: system.type, environment: system.environment });
  return {
    principal: plain.principal,
    action: plain.action,
    resource: plain.resource,
    context: plain.context as DecisionRequest['context'],
    entities: buildEntities(fixtures, bundle.manifest.namespace),
  };
}

export interface DecisionDeps {
  readonly ledger: Ledger;
  readonly inventory: Inventory;
}

/** Decides a plain request with a bundle and records the decision in the ledger. */
export async function decideAndRecord(
  deps: DecisionDeps,
  bundle: LoadedBundle,
  plain: PlainRequest,
  actor: Actor,
): Promise<{ decision: Decision; recordIndex: number }> {
  const { decision } = await decideRequest(deps.inventory, bundle, plain);
  const decisionId = `decision:${crypto.randomUUID()}`;
  const { records } = await deps.ledger.transact(async (tx) => {
    // The projection row and its record commit together.
    await tx.run(
      'INSERT INTO policy_decisions (decision_id, bundle_hash, request, allowed, decided_at) VALUES (?, ?, ?, ?, ?)',
      [
        decisionId,
        bundle.hash,
        JSON.stringify(plain),
        decision.allowed ? 1 : 0,
        deps.ledger.now().toISOString(),
      ],
    );
    await tx.append({
      type: 'policy.decided',
      correlationId: decisionId,
      actor,
      subject:
        'new' in plain.resource
          ? { kind: 'system', id: plain.resource.new.system }
          : { kind: 'identity', id: requestedIdentities(plain)[0]! },
      bundleHash: bundle.hash,
      payload: {
        request: plain as unknown as JsonValue,
        allowed: decision.allowed,
        riskTier: decision.riskTier ?? null,
        route: decision.route?.name ?? null,
        workflow: decision.workflow ?? null,
        determiningPolicies: [...decision.determiningPolicies],
        reasons: [...decision.reasons],
      },
    });
  });
  return { decision, recordIndex: records[0]!.index };
}

/** The most recent recorded requests (plain), newest first. */
export async function recordedRequests(ledger: Ledger, limit = 1000): Promise<PlainRequest[]> {
  const rows = await ledger.store.read.query<{ request: string }>(
    'SELECT request FROM policy_decisions ORDER BY decided_at DESC, decision_id LIMIT ?',
    [limit],
  );
  return rows.map((r) => JSON.parse(r.request) as PlainRequest);
}
