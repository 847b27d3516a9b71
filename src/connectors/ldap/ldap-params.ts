/**
 * A step's parameters, checked before anything is read or written (attacker-controlled: they come
 * from requests). Unknown keys are refused, not ignored, so a misspelt `overlapSecs` never turns a
 * rotation with overlap into one without.
 */
import type { JsonValue } from '../../core/canonical-json.js';
import { CustosError } from '../../core/errors.js';
import type { Step } from '../contract.js';
import { groupsOf, type GroupGrant } from './ldap-entitlements.js';

/** Keys the run engine sets (src/runs/run-model.ts planSteps); `kind` and `durationMinutes` are not used here. */
const KNOWN = new Set(['entitlements', 'overlapSeconds', 'ttlSeconds', 'durationMinutes', 'kind']);
const MAX_OVERLAP_SECONDS = 30 * 24 * 3600;
const MAX_TTL_SECONDS = 10 * 366 * 24 * 3600;

export interface StepParams {
  /** undefined when the step names no entitlements (for revoke: the credential itself). */
  readonly groups: GroupGrant[] | undefined;
  readonly overlapSeconds: number;
  readonly ttlSeconds: number | undefined;
}

export function parseParams(step: Step, groupsDn: string): StepParams {
  for (const key of Object.keys(step.params)) {
    if (!KNOWN.has(key)) throw invalid(`params.${key.slice(0, 40)} is not a parameter of the ldap connector`);
  }
  return {
    groups: groupsOf(step.params, groupsDn),
    overlapSeconds: integer(step.params['overlapSeconds'], 'overlapSeconds', 0, MAX_OVERLAP_SECONDS) ?? 0,
    ttlSeconds: integer(step.params['ttlSeconds'], 'ttlSeconds', 1, MAX_TTL_SECONDS),
  };
}

function integer(value: JsonValue | undefined, name: string, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw invalid(`params.${name} must be an integer from ${min} to ${max}`);
  }
  return value;
}

function invalid(message: string): CustosError {
  return new CustosError('INPUT_INVALID', message);
}
