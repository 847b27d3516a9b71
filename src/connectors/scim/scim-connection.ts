/**
 * The connection settings of one SCIM service (an inventory system's `connection` map), parsed once
 * per call and refused whole when anything is off. The bearer token is a reference (`env:NAME`),
 * resolved by the injected resolver and never echoed.
 *
 * SCIM carries the cleartext password in the request body (RFC 7643 §4.1.1: `password` is
 * writeOnly and accepts no hash), so a base URL that is not https is refused unless the system
 * says `allowInsecureHttp: true` — meant for loopback tests, never for production.
 */
import { z } from 'zod';
import { CustosError } from '../../core/errors.js';
import type { TargetSystem } from '../contract.js';
import { assertGroupName } from './scim-names.js';

const connectionSchema = z.object({
  /** The SCIM service root, e.g. `https://app.example.com/scim/v2` (RFC 7644 §1.3 "Base URI"). */
  baseUrl: z.string().min(1),
  /** A reference such as `env:SCIM_TOKEN`: the OAuth bearer token of the provisioning client. */
  token: z.string().min(1),
  allowInsecureHttp: z.boolean().default(false),
  /**
   * Optional: an endpoint that checks a password (`POST {userName, password}` → 200, 401, or 403 when
   * the account is inactive). SCIM itself has none, so without it verification is read-back only.
   */
  loginUrl: z.string().min(1).optional(),
  timeoutSeconds: z.number().positive().max(120).default(10),
  /**
   * Optional allow-list of the group displayNames Custos may grant and revoke on this service,
   * comma-separated (inventory settings are flat; the group-name grammar has no comma).
   */
  groups: z.string().optional(),
});

export interface ScimConnection {
  /** Without a trailing slash. */
  readonly baseUrl: string;
  readonly token: string;
  readonly loginUrl?: string;
  readonly timeoutMs: number;
  readonly groups?: ReadonlySet<string>;
}

export function parseConnection(system: TargetSystem): ScimConnection {
  const parsed = connectionSchema.safeParse(system.connection);
  if (!parsed.success) {
    const field = parsed.error.issues[0]?.path.join('.') ?? '';
    throw invalid(system, field, `invalid SCIM connection settings (${field || 'connection'})`);
  }
  const c = parsed.data;
  const baseUrl = serviceUrl(system, 'baseUrl', c.baseUrl, c.allowInsecureHttp);
  const loginUrl =
    c.loginUrl === undefined ? undefined : serviceUrl(system, 'loginUrl', c.loginUrl, c.allowInsecureHttp);
  const groups = c.groups?.split(',').map((g) => lowerName(system, g.trim()));
  return {
    baseUrl: baseUrl.replace(/\/+$/, ''),
    token: c.token,
    timeoutMs: Math.round(c.timeoutSeconds * 1000),
    ...(loginUrl === undefined ? {} : { loginUrl }),
    ...(groups === undefined ? {} : { groups: new Set(groups) }),
  };
}

/** An absolute https URL without credentials, query or fragment (http only when allowed). */
function serviceUrl(system: TargetSystem, field: string, text: string, allowHttp: boolean): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw invalid(system, field, `${field} is not an absolute URL`);
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && allowHttp)) {
    throw invalid(
      system,
      field,
      `${field} must be https: SCIM sends passwords in the clear inside the request ` +
        '(set allowInsecureHttp: true only for a loopback test service)',
    );
  }
  if (url.username !== '' || url.password !== '' || url.search !== '' || url.hash !== '') {
    throw invalid(system, field, `${field} must not carry credentials, a query or a fragment`);
  }
  return url.href;
}

function lowerName(system: TargetSystem, name: string): string {
  try {
    return assertGroupName(name).toLowerCase();
  } catch {
    throw invalid(system, 'groups', 'connection.groups lists a name outside the group-name grammar');
  }
}

function invalid(system: TargetSystem, field: string, message: string): CustosError {
  return new CustosError('CONFIG_INVALID', `system ${system.id}: ${message}`, {
    details: { system: system.id, field },
  });
}
