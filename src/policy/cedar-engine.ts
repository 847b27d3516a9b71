/**
 * Cedar evaluation with the policy set and schema preparsed once per bundle hash. The wasm module
 * keeps preparsed sets in its own (per-thread) cache under a name; we name them by the bundle
 * hash, which covers every byte, so one name can never stand for two different policy sets.
 *
 * The policies are preparsed as one set per action: only the policies whose scope can match that
 * action (it names the action, or no action at all). This is exact, not a heuristic: Cedar never
 * evaluates the condition of a policy whose scope does not match, so a policy scoped to other
 * actions can neither apply nor error. Cedar evaluates every policy of a set, so a decision then
 * costs in proportion to the policies of its action rather than of the whole bundle.
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
} from '@cedar-policy/cedar-wasm/nodejs';
import { CustosError } from '../core/errors.js';
import type { BundlePolicy } from './cedar-policies.js';

import { ACTIONS, type Action } from './vocabulary.js';

export interface PreparedPolicies {
  readonly hash: string;
  readonly schemaText: string;
  readonly policies: readonly BundlePolicy[];
}

const prepared = new Set<string>();

/** Preparse the bundle's schema and policies unless this thread already holds them. */
export function ensurePrepared(bundle: PreparedPolicies): void {
  if (prepared.has(bundle.hash)) return;
  const answers = [preparseSchema(bundle.hash, bundle.schemaText)];
  for (const action of ACTIONS) {
    const policies = bundle.policies.filter((p) => p.actions === 'all' || p.actions.includes(action));
    answers.push(
      preparsePolicySet(policySetName(bundle.hash, action), {
        staticPolicies: Object.fromEntries(policies.map((p) => [p.id, p.text])),
      }),
    );
  }
  for (const answer of answers) {
    if (answer.type === 'failure') {
      // Unreachable for a bundle that loaded: it was parsed and validated with the same texts.
      throw new CustosError(
        'BUNDLE_INVALID',
        `cannot preparse bundle ${bundle.hash}: ${answer.errors[0]?.message ?? '?'}`,
      );
    }
  }
  prepared.add(bundle.hash);
}

function policySetName(hash: string, action: Action): string {
  return `${hash}#${action}`;
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
  ensurePrepared(bundle);
  return statefulIsAuthorized({
    ...request,
    action: { type: `${namespace}::Action`, id: request.action },
    preparsedPolicySetId: policySetName(bundle.hash, request.action),
    preparsedSchemaName: bundle.hash,
    validateRequest: true,
  });
}

/** A WebAssembly trap (`WebAssembly.RuntimeError`): the Cedar module is broken, not the input. */
export function isWasmTrap(err: unknown): boolean {
  return err instanceof Error && err.name === 'RuntimeError';
}
