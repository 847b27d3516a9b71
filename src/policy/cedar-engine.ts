/**
 * Cedar evaluation with the policy set and schema preparsed once per bundle hash. The wasm module
 * keeps preparsed sets in its own (per-thread) cache under a name; we name them by the bundle
 * hash, which covers every byte, so one name can never stand for two different policy sets.
 *
 * A decision is evaluated against only the policies that could apply to it, which is exact, not a
 * heuristic: Cedar never evaluates the condition of a policy whose scope does not match, and never
 * evaluates the rest of a condition whose leftmost conjunct is false, so the policies left out can
 * neither apply nor error. Cedar evaluates every policy of a set, so a decision then costs in
 * proportion to the policies that concern it rather than to the whole bundle. Two cuts:
 *   - by action: the policies whose scope names the action, or no action at all;
 *   - by the resource's systemType, when the request's resource entity carries one: out go the
 *     policies whose first condition starts with `resource.systemType == "<another type>"`
 *     (system-guard.ts). The value is read from the very entity passed to Cedar.
 * Sets are preparsed on first use (at most actions x system types per bundle).
 */
import './no-wasm-inlining.js';
import {
  preparsePolicySet,
  preparseSchema,
  statefulIsAuthorized,
  type AuthorizationAnswer,
  type Context,
  type EntityJson,
  type EntityUid,
  type TypeAndId,
} from '@cedar-policy/cedar-wasm/nodejs';
import { CustosError } from '../core/errors.js';
import type { BundlePolicy } from './cedar-policies.js';

import { ACTIONS, isSystemType, type Action } from './vocabulary.js';

export interface PreparedPolicies {
  readonly hash: string;
  readonly schemaText: string;
  readonly policies: readonly BundlePolicy[];
}

const preparedSchemas = new Set<string>();
const preparedSets = new Set<string>();

/** Preparse the bundle's schema and its per-action policy sets unless this thread already holds them. */
export function ensurePrepared(bundle: PreparedPolicies): void {
  for (const action of ACTIONS) policySet(bundle, action, undefined);
}

/** The name of the preparsed set for this action (and system type), preparsing it on first use. */
function policySet(bundle: PreparedPolicies, action: Action, systemType: string | undefined): string {
  const name =
    systemType === undefined ? `${bundle.hash}#${action}` : `${bundle.hash}#${action}#${systemType}`;
  if (preparedSets.has(name)) return name;
  if (!preparedSchemas.has(bundle.hash)) {
    check(bundle, preparseSchema(bundle.hash, bundle.schemaText));
    preparedSchemas.add(bundle.hash);
  }
  const policies = bundle.policies.filter(
    (p) =>
      (p.actions === 'all' || p.actions.includes(action)) &&
      (systemType === undefined || p.systemType === undefined || p.systemType === systemType),
  );
  check(
    bundle,
    preparsePolicySet(name, { staticPolicies: Object.fromEntries(policies.map((p) => [p.id, p.text])) }),
  );
  preparedSets.add(name);
  return name;
}

function check(bundle: PreparedPolicies, answer: ReturnType<typeof preparseSchema>): void {
  if (answer.type === 'failure') {
    // Unreachable for a bundle that loaded: it was parsed and validated with the same texts.
    throw new CustosError(
      'BUNDLE_INVALID',
      `cannot preparse bundle ${bundle.hash}: ${answer.errors[0]?.message ?? '?'}`,
    );
  }
}

export interface CedarRequest {
  readonly principal: EntityUid;
  readonly action: Action;
  readonly resource: EntityUid;
  readonly context: Context;
  readonly entities: EntityJson[];
}

/**
 * One authorization against the preparsed bundle. The request (types, context) and its entities
 * are validated against the schema: without that, a value of the wrong type could make a guard
 * such as `context.justification == ""` quietly false instead of failing.
 */
export function authorize(
  bundle: PreparedPolicies,
  namespace: string,
  request: CedarRequest,
): AuthorizationAnswer {
  return statefulIsAuthorized({
    ...request,
    action: { type: `${namespace}::Action`, id: request.action },
    preparsedPolicySetId: policySet(bundle, request.action, resourceSystemType(request)),
    preparsedSchemaName: bundle.hash,
    validateRequest: true,
  });
}

/**
 * The `systemType` attribute of the request's resource entity, as Cedar will read it, when it is one
 * of the system types (anything else is decided with the action's set: the number of preparsed sets
 * stays bounded whatever a request carries).
 */
function resourceSystemType(request: CedarRequest): string | undefined {
  const { type, id } = uidOf(request.resource);
  const entity = request.entities.find((e) => {
    const uid = uidOf(e.uid);
    return uid.type === type && uid.id === id;
  });
  const value = entity?.attrs['systemType'];
  return typeof value === 'string' && isSystemType(value) ? value : undefined;
}

export function uidOf(uid: EntityUid): TypeAndId {
  return '__entity' in uid ? uid.__entity : uid;
}

/** A WebAssembly trap (`WebAssembly.RuntimeError`): the Cedar module is broken, not the input. */
export function isWasmTrap(err: unknown): boolean {
  return err instanceof Error && err.name === 'RuntimeError';
}
