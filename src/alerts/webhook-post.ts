/**
 * One webhook POST: the body (RFC 8785 canonical JSON, identical on every attempt), the headers and
 * the signature, and the verdict. Anything but a 2xx answer within the timeout is a failed attempt;
 * redirects are not followed (a signed alert goes only where it was configured to go). Error texts
 * are built from the endpoint's name and origin, a status or an error code: never from the URL.
 */
import crypto from 'node:crypto';
import { canonicalize } from '../core/canonical-json.js';
import type { Alert } from './alert-model.js';
import type { WebhookEndpoint } from './webhook-endpoint.js';

export const WEBHOOK_BODY_VERSION = 1;

/** The webhook body, documented in docs/alerts.md. */
export function webhookBody(alert: Alert, ledgerIndex: number | null): string {
  return canonicalize({
    v: WEBHOOK_BODY_VERSION,
    id: alert.id,
    kind: alert.kind,
    severity: alert.severity,
    subject: alert.subject,
    notify: alert.notify,
    summary: alert.summary,
    details: alert.details,
    correlationId: alert.correlationId,
    createdAt: alert.createdAt,
    ledgerIndex,
  });
}

/** `sha256=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>`, the `custos-signature` header. */
export function signWebhook(secret: Uint8Array, timestamp: string, body: string): string {
  return `sha256=${crypto.createHmac('sha256', secret).update(`${timestamp}.${body}`, 'utf8').digest('hex')}`;
}

export interface WebhookRequest {
  readonly alertId: string;
  readonly body: string;
  readonly now: Date;
  /** 1-based attempt number, sent as `custos-delivery-attempt`. */
  readonly attempt: number;
}

export type AttemptResult =
  | { readonly ok: true; readonly status: number }
  | { readonly ok: false; readonly status: number | null; readonly error: string };

export interface PostOptions {
  readonly fetch: typeof fetch;
  readonly timeoutMs: number;
}

export async function postWebhook(
  endpoint: WebhookEndpoint,
  request: WebhookRequest,
  options: PostOptions,
): Promise<AttemptResult> {
  const timestamp = String(Math.floor(request.now.getTime() / 1000));
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'user-agent': 'custos-alerts/1',
    'custos-alert-id': request.alertId,
    'custos-timestamp': timestamp,
    'custos-delivery-attempt': String(request.attempt),
  };
  if (endpoint.secret !== undefined) {
    headers['custos-signature'] = signWebhook(endpoint.secret, timestamp, request.body);
  }
  if (endpoint.authorization !== undefined) headers['authorization'] = endpoint.authorization;
  const where = `${endpoint.name} (${endpoint.origin})`;
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  // Raced as well as signalled, so that even a fetch that ignores its signal cannot hang delivery.
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const error = new Error('timeout');
      error.name = 'TimeoutError';
      controller.abort(error);
      reject(error);
    }, options.timeoutMs);
  });
  try {
    const init: RequestInit = {
      method: 'POST',
      headers,
      body: request.body,
      redirect: 'manual',
      signal: controller.signal,
    };
    const response = await Promise.race([options.fetch(endpoint.target, init), timeout]);
    void response.body?.cancel().catch(() => undefined); // the answer's body is not needed
    if (response.status >= 200 && response.status < 300) return { ok: true, status: response.status };
    return { ok: false, status: response.status, error: `${where}: HTTP ${response.status}` };
  } catch (e) {
    return { ok: false, status: null, error: `${where}: ${describeFailure(e, options.timeoutMs)}` };
  } finally {
    clearTimeout(timer);
  }
}

/** A failure as a fixed phrase and an error code; raw messages may quote the URL. */
function describeFailure(e: unknown, timeoutMs: number): string {
  if (e instanceof Error && (e.name === 'TimeoutError' || e.name === 'AbortError')) {
    return `timed out after ${timeoutMs} ms`;
  }
  const cause: unknown = e instanceof Error ? e.cause : undefined;
  const code = (cause as { code?: unknown } | undefined)?.code ?? (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[A-Z0-9_]{1,40}$/.test(code)
    ? `network error ${code}`
    : 'network error';
}
