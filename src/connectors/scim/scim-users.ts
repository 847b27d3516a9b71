/**
 * Users on the service (RFC 7643 §4.1, RFC 7644 §3.3–3.6): lookup by userName through a filter,
 * create, PATCH (with If-Match when the service supports ETags, so that a change never overwrites a
 * concurrent one), delete, and listing with paging for reconciliation.
 */
import type { JsonValue } from '../../core/canonical-json.js';
import { CustosError } from '../../core/errors.js';
import { resourcePath, type ScimClient } from './scim-http.js';
import { journalOf, type Journal } from './scim-journal.js';
import { assertResourceId, eqFilter, sameName } from './scim-names.js';

export const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
const PATCH_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
/** Pages a listing may take before it is refused as a service that never finishes. */
const MAX_PAGES = 10_000;

export interface ScimUser {
  readonly id: string;
  readonly userName: string;
  /** `active` as the service reports it; RFC 7643 makes it optional (null when absent). */
  readonly active: boolean | null;
  /** meta.version, or the ETag header (RFC 7644 §3.14); null when the service keeps none. */
  readonly version: string | null;
  readonly journal: Journal | undefined;
}

export function userOf(body: unknown, etag: string | null = null): ScimUser {
  const r = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  const meta = (typeof r['meta'] === 'object' && r['meta'] !== null ? r['meta'] : {}) as Record<
    string,
    unknown
  >;
  if (typeof r['userName'] !== 'string') {
    throw new CustosError('TARGET_STATE_MISMATCH', 'the SCIM service returned a User without a userName');
  }
  return {
    id: assertResourceId(r['id'], 'a User'),
    userName: r['userName'],
    active: typeof r['active'] === 'boolean' ? r['active'] : null,
    version: typeof meta['version'] === 'string' ? meta['version'] : etag,
    journal: journalOf(r),
  };
}

/** The one User whose userName equals `userName` (caseExact=false), or undefined. */
export async function findUser(client: ScimClient, userName: string): Promise<ScimUser | undefined> {
  const { body } = await client.send({
    method: 'GET',
    path: '/Users',
    query: { filter: eqFilter('userName', userName) },
  });
  const found = resourcesOf(body)
    .map((r) => userOf(r))
    .filter((u) => sameName(u.userName, userName));
  if (found.length > 1) {
    throw new CustosError('TARGET_STATE_MISMATCH', `more than one SCIM user is named ${userName}`);
  }
  return found[0];
}

export async function createUser(
  client: ScimClient,
  body: JsonValue,
  redact: readonly string[],
): Promise<ScimUser | 'conflict'> {
  const res = await client.send({ method: 'POST', path: '/Users', body, redact, accept: [409] });
  return res.status === 409 ? 'conflict' : userOf(res.body, res.etag);
}

/**
 * One atomic PATCH of the user; 'conflict' when the If-Match precondition failed (412) or the
 * user vanished meanwhile (404): the caller reads again and decides afresh. 200 and 204 both mean
 * applied (RFC 7644 §3.5.2).
 */
export async function patchUser(
  client: ScimClient,
  user: ScimUser,
  operations: readonly JsonValue[],
  options: { readonly etag: boolean; readonly redact?: readonly string[] },
): Promise<'ok' | 'conflict'> {
  const res = await client.send({
    method: 'PATCH',
    path: resourcePath('/Users', user.id),
    body: { schemas: [PATCH_SCHEMA], Operations: [...operations] },
    accept: [404, 412],
    ...(options.redact === undefined ? {} : { redact: options.redact }),
    ...ifMatch(options.etag, user.version),
  });
  return res.status === 404 || res.status === 412 ? 'conflict' : 'ok';
}

export async function deleteUser(
  client: ScimClient,
  user: ScimUser,
  etag: boolean,
): Promise<'ok' | 'gone' | 'conflict'> {
  const res = await client.send({
    method: 'DELETE',
    path: resourcePath('/Users', user.id),
    accept: [404, 412],
    ...ifMatch(etag, user.version),
  });
  return res.status === 404 ? 'gone' : res.status === 412 ? 'conflict' : 'ok';
}

/**
 * Every User as the service returned it, page by page (startIndex/count, RFC 7644 §3.4.2.4), until
 * totalResults are read. Raw: the caller decides what to do with a user it cannot parse.
 */
export async function listUsers(client: ScimClient, pageSize: number): Promise<unknown[]> {
  const users: unknown[] = [];
  let startIndex = 1;
  for (let page = 0; page < MAX_PAGES; page++) {
    const { body } = await client.send({
      method: 'GET',
      path: '/Users',
      query: { startIndex: String(startIndex), count: String(pageSize) },
    });
    const items = resourcesOf(body);
    const total = (body as { totalResults?: unknown } | undefined)?.totalResults;
    if (typeof total !== 'number') {
      throw new CustosError('TARGET_STATE_MISMATCH', 'a SCIM list response has no totalResults');
    }
    users.push(...items);
    startIndex += items.length;
    if (items.length === 0 || startIndex > total) return users;
  }
  throw new CustosError('TARGET_STATE_MISMATCH', `listing SCIM users took more than ${MAX_PAGES} pages`);
}

export function resourcesOf(body: unknown): unknown[] {
  const resources = (body as { Resources?: unknown } | undefined)?.Resources;
  return Array.isArray(resources) ? (resources as unknown[]) : [];
}

export function ifMatch(etag: boolean, version: string | null): { ifMatch?: string } {
  return etag && version !== null ? { ifMatch: version } : {};
}
