/**
 * Webhook endpoints from configuration. A URL is never written to a record, an error or the outbox:
 * credentials may sit in its userinfo, its query, or (as with Slack or Teams incoming webhooks) its
 * path. Records and errors name an endpoint by its `name` and `origin` (scheme://host:port) only.
 * Userinfo is moved to an `Authorization: Basic` header, since fetch refuses URLs that carry it.
 */
import crypto from 'node:crypto';
import { CustosError } from '../core/errors.js';

export interface WebhookConfig {
  readonly url: string;
  /** HMAC-SHA256 key for `custos-signature` (the caller resolves it from a secret reference). */
  readonly secret?: Buffer | string;
  /** Names the endpoint in records and errors (default `webhook-<n>`, 1-based). */
  readonly name?: string;
}

export interface WebhookEndpoint {
  readonly name: string;
  /** scheme://host[:port]: all that records and errors show of the URL. */
  readonly origin: string;
  /**
   * Identifies the endpoint in the outbox's delivered-to bookkeeping across restarts: a hash of its
   * name, origin and path (never of userinfo or query, where weak credentials may sit).
   */
  readonly key: string;
  /** The URL to POST to, without userinfo. */
  readonly target: string;
  readonly authorization?: string;
  readonly secret?: Buffer;
}

/** Shortest HMAC key accepted: 128 bits (32 random bytes recommended). */
export const MIN_SECRET_BYTES = 16;
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

function configError(name: string, message: string): CustosError {
  return new CustosError('CONFIG_INVALID', `webhook ${name}: ${message}`, { details: { webhook: name } });
}

export function parseWebhooks(configs: readonly WebhookConfig[]): WebhookEndpoint[] {
  const endpoints = configs.map((config, i) => parseWebhook(config, i));
  for (const [i, e] of endpoints.entries()) {
    const first = endpoints.findIndex((o) => o.name === e.name || o.target === e.target);
    if (first !== i) throw configError(e.name, 'duplicates another webhook (same name or URL)');
  }
  return endpoints;
}

function parseWebhook(config: WebhookConfig, i: number): WebhookEndpoint {
  const name = config.name ?? `webhook-${i + 1}`;
  if (!NAME.test(name)) throw configError(`#${i + 1}`, 'name must be 1 to 64 of [A-Za-z0-9._-]');
  let url: URL;
  try {
    url = new URL(config.url);
  } catch {
    throw configError(name, 'url is not a valid URL'); // never echo it: it may carry credentials
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw configError(name, 'url must be http(s)');
  let authorization: string | undefined;
  if (url.username !== '' || url.password !== '') {
    let user: string;
    try {
      user = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
    } catch {
      throw configError(name, 'url credentials are not valid percent-encoding');
    }
    authorization = `Basic ${Buffer.from(user, 'utf8').toString('base64')}`;
    url.username = '';
    url.password = '';
  }
  const key = crypto
    .createHash('sha256')
    .update(`custos webhook\n${name}\n${url.origin}${url.pathname}`)
    .digest('hex');
  const secret = config.secret === undefined ? undefined : toKey(name, config.secret);
  return {
    name,
    origin: url.origin,
    key: key.slice(0, 32),
    target: url.toString(),
    ...(authorization === undefined ? {} : { authorization }),
    ...(secret === undefined ? {} : { secret }),
  };
}

function toKey(name: string, secret: Buffer | string): Buffer {
  const key = typeof secret === 'string' ? Buffer.from(secret, 'utf8') : Buffer.from(secret);
  if (key.length < MIN_SECRET_BYTES)
    throw configError(name, `secret must be at least ${MIN_SECRET_BYTES} bytes`);
  return key;
}
