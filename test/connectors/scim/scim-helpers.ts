/** Small helpers shared by the SCIM connector tests. */
import type { JsonValue } from '../../../src/core/canonical-json.js';
import { scopeOf } from '../../../src/connectors/authority-check.js';
import type { Connector, Step, StepAction, TargetIdentity } from '../../../src/connectors/contract.js';
import { stepFor, type AuthorisedStep } from '../../../src/connectors/kit/kit-steps.js';
import type { Received } from './peer-app.js';
import type { ScimTarget } from './scim-target.js';

export function steps(t: ScimTarget, identity?: TargetIdentity) {
  return (runId: string, stepId: string, action: StepAction, params: Record<string, JsonValue> = {}) => {
    if (identity === undefined) return stepFor(t)(runId, stepId, action, params);
    const step: Step = { runId, stepId, action, system: t.system, identity, params };
    return { step, authority: t.authority(scopeOf(step)) };
  };
}

export const apply = (t: ScimTarget, s: AuthorisedStep, c: Connector = t.connector) =>
  c.apply(s.step, s.authority);
export const verify = (t: ScimTarget, s: AuthorisedStep, secret?: string, c: Connector = t.connector) =>
  c.verify(s.step, s.authority, secret);

export function errorOf(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => undefined,
    (e: unknown) => e,
  );
}

/** Requests the peer received for the SCIM API, as `METHOD /path` (query dropped). */
export function calls(received: readonly Received[], method?: string): string[] {
  return received
    .filter((r) => r.url.startsWith('/scim/') && (method === undefined || r.method === method))
    .map((r) => `${r.method} ${r.url.replace(/^\/scim/, '').split('?')[0] ?? ''}`);
}

/** PATCH requests to /Users that set a password. */
export function passwordPatches(received: readonly Received[]): Received[] {
  return received.filter(
    (r) => r.method === 'PATCH' && r.url.startsWith('/scim/Users/') && r.body.includes('"password"'),
  );
}
