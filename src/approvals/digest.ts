/**
 * The request digest: what every approval signs and every delegated authority is bound to.
 *
 *   digest = "sha256:" + hex(SHA-256(UTF-8(JCS(document))))      (JCS = RFC 8785)
 *   document = {
 *     "v": 1,
 *     "run_id": <the run id>,
 *     "request": <the plain request, exactly the `request` member of the policy.decided payload>,
 *     "decision": {                     // the same-named members of the policy.decided payload
 *       "allowed": <boolean>,
 *       "riskTier": <"low"|"medium"|"high"|"critical"|null>,
 *       "route": <route name | null>,
 *       "determiningPolicies": [<policy id>, …]   // sorted
 *     },
 *     "bundle_hash": <the policy.decided record's bundleHash>
 *   }
 *
 * An auditor recomputes it from the `policy.decided` record and the run id alone. The route's
 * requirements are not copied in: they are fixed by the route name within the hashed bundle.
 */
import crypto from 'node:crypto';
import { canonicalize } from '../core/canonical-json.js';
import type { RiskTier } from '../policy/index.js';
import type { PlainRequest } from '../workflows/index.js';

export interface DigestDecision {
  readonly allowed: boolean;
  readonly riskTier: RiskTier | null | undefined;
  /** A route or its name. */
  readonly route: { readonly name: string } | string | null | undefined;
  readonly determiningPolicies: readonly string[];
  readonly bundleHash: string;
}

export interface DigestInput {
  readonly request: PlainRequest;
  readonly decision: DigestDecision;
  readonly runId: string;
}

export function requestDigest(input: DigestInput): string {
  const { decision } = input;
  const route = typeof decision.route === 'string' ? decision.route : (decision.route?.name ?? null);
  const document = {
    v: 1,
    run_id: input.runId,
    request: input.request,
    decision: {
      allowed: decision.allowed,
      riskTier: decision.riskTier ?? null,
      route,
      determiningPolicies: [...decision.determiningPolicies].sort(),
    },
    bundle_hash: decision.bundleHash,
  };
  return 'sha256:' + crypto.createHash('sha256').update(canonicalize(document), 'utf8').digest('hex');
}
