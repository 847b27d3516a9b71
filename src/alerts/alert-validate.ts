/**
 * Validation of a raised alert (INPUT_INVALID naming the field), before anything is written.
 * Callers build alerts from runs, approvals and grants, but their text may quote requests, so an
 * alert is treated as untrusted input: bounded sizes, no control characters in the summary, and
 * the ledger's secret guard over everything that will be recorded and sent.
 */
import { canonicalize } from '../core/canonical-json.js';
import { CustosError, isCustosError } from '../core/errors.js';
import { ALERT_SEVERITIES, type AlertInput } from './alert-model.js';

export const MAX_SUMMARY_LENGTH = 300;
export const MAX_NOTIFY = 50;
/** Bytes of canonical JSON: an alert points at evidence, it does not carry it. */
export const MAX_DETAILS_BYTES = 8192;

const KIND = /^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$/;
const SUBJECT_KIND = /^[a-z][a-z0-9_]{0,63}$/;
const ID = /^[\x21-\x7e]{1,200}$/;
const NOTIFY = /^(person|group):[A-Za-z0-9][A-Za-z0-9._@-]{0,126}$/;
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const CONTROL = /[\u0000-\u001f\u007f]/;

function invalid(field: string, message: string, cause?: unknown): never {
  throw new CustosError('INPUT_INVALID', `alert ${field}: ${message}`, { details: { field }, cause });
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** The checked input with `notify` deduplicated (order kept). Throws INPUT_INVALID. */
export function validateAlertInput(input: AlertInput): AlertInput {
  if (!isPlainObject(input)) invalid('input', 'must be an object');
  const { subject, kind, severity, notify, summary, details, correlationId } = input;
  if (
    !isPlainObject(subject) ||
    typeof subject.kind !== 'string' ||
    !SUBJECT_KIND.test(subject.kind) ||
    typeof subject.id !== 'string' ||
    !ID.test(subject.id)
  ) {
    invalid('subject', 'must be {kind, id} with a lowercase kind and a printable id');
  }
  if (typeof kind !== 'string' || kind.length > 64 || !KIND.test(kind)) {
    invalid('kind', 'must be dotted lowercase, e.g. run.paused');
  }
  if (!(ALERT_SEVERITIES as readonly unknown[]).includes(severity)) {
    invalid('severity', `must be one of ${ALERT_SEVERITIES.join(', ')}`);
  }
  if (!Array.isArray(notify) || notify.length === 0) invalid('notify', 'must name at least one principal');
  if (notify.length > MAX_NOTIFY) invalid('notify', `at most ${MAX_NOTIFY} principals`);
  for (const id of notify as readonly unknown[]) {
    if (typeof id !== 'string' || !NOTIFY.test(id))
      invalid('notify', 'each must be person:<name> or group:<name>');
  }
  if (typeof summary !== 'string' || summary.trim().length === 0) invalid('summary', 'must not be empty');
  if (summary.length > MAX_SUMMARY_LENGTH) invalid('summary', `at most ${MAX_SUMMARY_LENGTH} characters`);
  if (CONTROL.test(summary)) invalid('summary', 'must be one line without control characters');
  if (typeof correlationId !== 'string' || !ID.test(correlationId)) {
    invalid('correlationId', 'must be 1 to 200 printable ASCII characters');
  }
  checkDetails(details);
  return { ...input, notify: [...new Set(notify)] };
}

function checkDetails(details: unknown): void {
  if (!isPlainObject(details)) invalid('details', 'must be an object');
  let text: string;
  try {
    text = canonicalize(details);
  } catch (e) {
    if (!isCustosError(e, 'CANONICAL_JSON_INVALID')) throw e;
    invalid('details', 'must be plain JSON data', e);
  }
  if (Buffer.byteLength(text, 'utf8') > MAX_DETAILS_BYTES) {
    invalid('details', `at most ${MAX_DETAILS_BYTES} bytes of JSON`);
  }
}
