/**
 * Fan-out: one request for the same change on several existing identities — typically one
 * service's accounts on several systems, rotated or suspended together after an incident. Each
 * identity is decided on its own (Cedar sees exactly the request it would see alone), and the
 * request is allowed only when every part is: one denied part denies the whole request, so nobody
 * can slip a change past a forbid by bundling it with allowed ones.
 *
 * The parts must be governed by one workflow: its executor acts on every system and its route is
 * the route of the highest-risk part (a workflow routes by risk, so that route is at least as strict
 * as each part's). Parts governed by different workflows would need each workflow's approvals and
 * executors at once; such a request is denied with the reason, to be filed once per workflow.
 *
 * Only changes that need no system-specific input fan out (rotate, suspend, retire): entitlements
 * are written in each target's own grammar, and a create names one system.
 */
import { CustosError } from '../core/errors.js';
import type { Decision } from '../policy/index.js';
import { riskRank, type Action } from '../policy/vocabulary.js';

export const FAN_OUT_ACTIONS = ['rotate', 'suspend', 'retire'] as const satisfies readonly Action[];
export const MAX_FAN_OUT = 16;

/** One identity's decision within a fan-out request. */
export interface FanOutPart {
  readonly identity: string;
  readonly decision: Decision;
}

/** Throws INPUT_INVALID unless a fan-out request names 2..16 distinct identities for a fan-out action. */
export function checkFanOut(action: string, identities: readonly string[]): void {
  if (!(FAN_OUT_ACTIONS as readonly string[]).includes(action)) {
    throw new CustosError(
      'INPUT_INVALID',
      `${action} names one identity or system: only ${FAN_OUT_ACTIONS.join(', ')} fan out to several identities`,
      { details: { field: 'resource.identities' } },
    );
  }
  if (identities.length < 2 || identities.length > MAX_FAN_OUT) {
    throw new CustosError(
      'INPUT_INVALID',
      `a fan-out request names 2 to ${MAX_FAN_OUT} identities (one identity: use resource.identity)`,
      { details: { field: 'resource.identities' } },
    );
  }
  if (new Set(identities).size !== identities.length) {
    throw new CustosError('INPUT_INVALID', 'a fan-out request names each identity once', {
      details: { field: 'resource.identities' },
    });
  }
}

/** The decision of a whole fan-out request from its parts' decisions (pure). */
export function combineDecisions(parts: readonly FanOutPart[], bundleHash: string): Decision {
  const policies = (ps: readonly FanOutPart[]) =>
    [...new Set(ps.flatMap((p) => p.decision.determiningPolicies))].sort();
  const denied = parts.filter((p) => !p.decision.allowed);
  const deny = (reasons: string[], workflow: string | undefined, ps: readonly FanOutPart[]): Decision => ({
    allowed: false,
    reasons,
    riskTier: undefined,
    route: undefined,
    determiningPolicies: policies(ps),
    workflow,
    bundleHash,
  });
  if (denied.length > 0) {
    return deny(
      denied.flatMap((p) => p.decision.reasons.map((r) => `${p.identity}: ${r}`)),
      denied[0]!.decision.workflow,
      denied,
    );
  }
  const workflows = [...new Set(parts.map((p) => p.decision.workflow))];
  if (workflows.length !== 1) {
    const by = parts.map((p) => `${p.identity} by ${p.decision.workflow ?? 'no workflow'}`).join(', ');
    return deny(
      [
        `a fan-out request is decided by one workflow, but these are governed separately (${by}): file one request per workflow`,
      ],
      undefined,
      parts,
    );
  }
  // The highest-risk part's route applies; on a tie, the first part named.
  const strictest = parts.reduce((a, b) =>
    riskRank(b.decision.riskTier ?? 'low') > riskRank(a.decision.riskTier ?? 'low') ? b : a,
  );
  return {
    allowed: true,
    reasons: [...new Set(parts.flatMap((p) => p.decision.reasons))].sort(),
    riskTier: strictest.decision.riskTier,
    route: strictest.decision.route,
    determiningPolicies: policies(parts),
    workflow: workflows[0],
    bundleHash,
  };
}
