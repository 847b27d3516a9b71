/**
 * The params a rabbitmq step accepts, checked before anything is read or written. RabbitMQ holds
 * one password hash per user and has no password expiry, so a rotation overlap and a credential
 * lifetime (`ttlSeconds`, set from a request's `durationMinutes`) cannot be honoured on the broker:
 * they are refused rather than silently dropped.
 */
import type { JsonValue } from '../../core/canonical-json.js';
import { CustosError } from '../../core/errors.js';
import type { Step } from '../contract.js';
import { entitlementsOf, type Entitlement } from './rmq-entitlements.js';

/** What the run engine may put in params (src/runs/run-model.ts, planSteps). */
const KNOWN = new Set(['entitlements', 'overlapSeconds', 'ttlSeconds', 'durationMinutes', 'kind']);

export interface StepParams {
  /** Undefined when the step names none. */
  readonly entitlements: readonly Entitlement[] | undefined;
}

export function checkParams(step: Step): StepParams {
  if (!SUPPORTED.has(step.action)) {
    throw refused(
      `the rabbitmq connector does not support ${step.action} (RabbitMQ passwords do not expire)`,
    );
  }
  const unknown = Object.keys(step.params).filter((k) => !KNOWN.has(k));
  if (unknown.length > 0) {
    throw new CustosError(
      'INPUT_INVALID',
      `rabbitmq steps take no params.${unknown.sort().join(', params.')}`,
    );
  }
  if (seconds(step.params, 'overlapSeconds') > 0) {
    throw refused('RabbitMQ holds one password hash per user: a rotation overlap is not possible');
  }
  if (seconds(step.params, 'ttlSeconds') > 0) {
    throw refused('RabbitMQ passwords do not expire: a credential lifetime cannot be enforced on the broker');
  }
  const entitlements = entitlementsOf(step.params, step.action);
  const empty = entitlements === undefined || entitlements.length === 0;
  if ((step.action === 'grant' && empty) || (step.action === 'revoke' && entitlements?.length === 0)) {
    throw new CustosError(
      'INPUT_INVALID',
      `${step.action} needs params.entitlements of the form "vhost=V configure=P write=P read=P"`,
    );
  }
  if (entitlements !== undefined && !ENTITLED.has(step.action)) {
    throw new CustosError('INPUT_INVALID', `${step.action} takes no params.entitlements`);
  }
  return { entitlements };
}

const SUPPORTED = new Set([
  'create',
  'grant',
  'revoke',
  'rotate',
  'suspend',
  'enable',
  'retire',
  'end_sessions',
]);

/** The actions whose effect entitlements shape. */
const ENTITLED = new Set(['create', 'grant', 'revoke']);

function seconds(params: Readonly<Record<string, JsonValue>>, name: string): number {
  const value = params[name] ?? 0;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new CustosError('INPUT_INVALID', `params.${name} must be a non-negative number of seconds`);
  }
  return value;
}

function refused(message: string): CustosError {
  return new CustosError('CONNECTOR_REFUSED', message);
}
