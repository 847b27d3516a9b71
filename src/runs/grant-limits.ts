/**
 * The workflow's limits on exceptions and break-glass, checked at decision time (pure): an
 * exception names the control it waives, carries a compensating control where the workflow demands
 * one, and ends within the workflow's maximum; break-glass names what it grants and ends within the
 * workflow's maximum. A request outside them is denied with the reason.
 */
import type { JsonValue } from '../core/canonical-json.js';
import { durationSeconds } from '../policy/duration.js';
import type { Workflow } from '../policy/workflow-schema.js';
import type { PlainRequest } from '../workflows/index.js';

function text(context: Readonly<Record<string, JsonValue>>, key: string): string {
  const value = context[key];
  return typeof value === 'string' ? value.trim() : '';
}

/** Minutes the request asks for, or undefined when absent or not a positive integer. */
export function requestedMinutes(request: PlainRequest): number | undefined {
  const value = request.context?.['durationMinutes'];
  return typeof value === 'number' && Number.isInteger(value) && value > 0 ? value : undefined;
}

export function grantLimitFailure(request: PlainRequest, workflow: Workflow | undefined): string | undefined {
  if (request.action !== 'exception' && request.action !== 'break_glass') return undefined;
  if (!('identity' in request.resource)) return `${request.action} applies to an existing identity`;
  const context = request.context ?? {};
  const minutes = requestedMinutes(request);
  if (minutes === undefined) return `${request.action} needs durationMinutes, a positive whole number`;
  const limits = request.action === 'exception' ? workflow?.exceptions : workflow?.breakGlass;
  if (limits === undefined) return `the workflow sets no ${request.action} limits`;
  const max = durationSeconds(limits.maxDuration) ?? 0;
  if (minutes * 60 > max)
    return `${request.action} of ${minutes} min exceeds the workflow's ${limits.maxDuration}`;
  if (request.action === 'exception') {
    if (text(context, 'control') === '') return 'an exception names the control it waives (context.control)';
    if (
      workflow?.exceptions?.compensatingControlRequired === true &&
      text(context, 'compensatingControl') === ''
    )
      return 'this workflow requires a compensating control (context.compensatingControl)';
    return undefined;
  }
  const entitlements = context['entitlements'];
  if (!Array.isArray(entitlements) || entitlements.length === 0)
    return 'break-glass names the entitlements it grants (context.entitlements)';
  return undefined;
}
