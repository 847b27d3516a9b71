/**
 * The connection settings of a RabbitMQ system, from the inventory's `connection` map:
 *
 *   managementUrl  http(s)://host:15672          the management HTTP API (users, permissions, limits)
 *   user           the admin user (tag `administrator`)
 *   password       a reference such as `env:RABBITMQ_ADMIN_PASSWORD`, resolved by the connector
 *   amqpUrl        amqp(s)://host:5672/%2F       where verify logs in for real; its path is the
 *                  system's vhost (default `/`), where a new user gets connect-only access
 *   timeoutMs      per request (default 10000)
 *
 * Neither URL may carry credentials (the admin password travels only in the Authorization header,
 * so that no URL, and hence no fetch error, ever holds it), a query or a fragment. Messages name
 * the setting, never its value.
 */
import { z } from 'zod';
import { CustosError } from '../../core/errors.js';
import type { TargetSystem } from '../contract.js';
import { assertVhost } from './rmq-names.js';

const schema = z.object({
  managementUrl: z.string().min(1),
  user: z.string().min(1).max(255),
  password: z.string().min(1),
  amqpUrl: z.string().min(1),
  timeoutMs: z.number().int().min(100).max(120_000).default(10_000),
});

export interface AmqpEndpoint {
  readonly protocol: 'amqp' | 'amqps';
  readonly hostname: string;
  readonly port: number;
  readonly vhost: string;
}

export interface RmqSettings {
  /** Origin and base path, without a trailing slash: `${base}/api/users`. */
  readonly base: string;
  readonly user: string;
  /** A secret reference, never the secret. */
  readonly password: string;
  readonly amqp: AmqpEndpoint;
  readonly timeoutMs: number;
}

export function parseSettings(system: TargetSystem): RmqSettings {
  const invalid = (what: string) =>
    new CustosError('CONFIG_INVALID', `system ${system.id}: ${what}`, { details: { system: system.id } });
  const parsed = schema.safeParse(system.connection);
  if (!parsed.success) {
    const fields = [...new Set(parsed.error.issues.map((i) => i.path.join('.')))].join(', ');
    throw invalid(`invalid RabbitMQ connection settings (${fields})`);
  }
  const { managementUrl, user, password, amqpUrl, timeoutMs } = parsed.data;
  const management = plainUrl(managementUrl, ['http:', 'https:']);
  if (management === undefined) {
    throw invalid('managementUrl must be an http(s) URL without credentials, query or fragment');
  }
  const amqp = plainUrl(amqpUrl, ['amqp:', 'amqps:']);
  if (amqp === undefined) {
    throw invalid('amqpUrl must be an amqp(s) URL without credentials, query or fragment');
  }
  const vhost = vhostOf(amqp.pathname);
  if (vhost === undefined) throw invalid('the vhost in amqpUrl is not a valid vhost name');
  const protocol = amqp.protocol === 'amqps:' ? 'amqps' : 'amqp';
  return {
    base: `${management.origin}${management.pathname.replace(/\/+$/, '')}`,
    user,
    password,
    amqp: {
      protocol,
      hostname: amqp.hostname.replace(/^\[|\]$/g, ''),
      port: amqp.port === '' ? (protocol === 'amqp' ? 5672 : 5671) : Number(amqp.port),
      vhost,
    },
    timeoutMs,
  };
}

function plainUrl(text: string, protocols: readonly string[]): URL | undefined {
  if (!URL.canParse(text)) return undefined;
  const url = new URL(text);
  const plain = url.username === '' && url.password === '' && url.search === '' && url.hash === '';
  return plain && protocols.includes(url.protocol) && url.hostname !== '' ? url : undefined;
}

/** RFC-style AMQP URI: no path or `/` is the default vhost `/`; `/%2F` is `/` too. */
function vhostOf(pathname: string): string | undefined {
  if (pathname === '' || pathname === '/') return '/';
  try {
    const name = decodeURIComponent(pathname.slice(1));
    assertVhost(name);
    return name;
  } catch {
    return undefined;
  }
}
