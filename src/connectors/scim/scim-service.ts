/**
 * What a SCIM service can do, read once per connector and system from its discovery endpoints
 * (RFC 7644 §4): /ServiceProviderConfig and /ResourceTypes/User. The connector fails closed unless
 * the service supports PATCH (every change is one), filters (userName and displayName lookups),
 * and the Custos extension on Users (its journal, see scim-journal.ts). ETags are used when the
 * service says it supports them; changePassword decides whether credentials can be rotated.
 */
import { CustosError } from '../../core/errors.js';
import type { ScimClient } from './scim-http.js';
import { CUSTOS_EXTENSION } from './scim-journal.js';

export interface ServiceCapabilities {
  readonly etag: boolean;
  readonly changePassword: boolean;
  /** The page size for listing: the service's filter.maxResults, at most 100. */
  readonly pageSize: number;
}

export async function discover(client: ScimClient, systemId: string): Promise<ServiceCapabilities> {
  const config = record((await client.send({ method: 'GET', path: '/ServiceProviderConfig' })).body);
  const supported = (name: string) => record(config[name])['supported'] === true;
  if (!supported('patch')) throw unsupported(systemId, 'PATCH (ServiceProviderConfig patch.supported)');
  if (!supported('filter')) throw unsupported(systemId, 'filters (ServiceProviderConfig filter.supported)');
  const type = record((await client.send({ method: 'GET', path: '/ResourceTypes/User' })).body);
  const extensions = Array.isArray(type['schemaExtensions']) ? (type['schemaExtensions'] as unknown[]) : [];
  if (!extensions.some((e) => record(e)['schema'] === CUSTOS_EXTENSION)) {
    throw unsupported(systemId, `the Custos User extension ${CUSTOS_EXTENSION} (it keeps the step journal)`);
  }
  const maxResults = record(config['filter'])['maxResults'];
  const pageSize =
    typeof maxResults === 'number' && Number.isInteger(maxResults) && maxResults > 0
      ? Math.min(maxResults, 100)
      : 100;
  return { etag: supported('etag'), changePassword: supported('changePassword'), pageSize };
}

function record(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

function unsupported(systemId: string, what: string): CustosError {
  return new CustosError('CONFIG_INVALID', `system ${systemId}: the SCIM service does not support ${what}`, {
    details: { system: systemId },
  });
}
