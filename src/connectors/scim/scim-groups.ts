/**
 * Group membership as entitlements (RFC 7643 §4.2, RFC 7644 §3.5.2): a group is found by its
 * displayName, its members are read, and one member is added or removed with a PATCH — only when
 * the membership differs from what is wanted, so a repeat changes nothing. The PATCH carries
 * If-Match with the version that was read when the service supports ETags: a concurrent change to
 * the group makes it fail with 412, and the membership is read and decided again (bounded).
 */
import { CustosError } from '../../core/errors.js';
import { resourcePath, type ScimClient } from './scim-http.js';
import { assertResourceId, eqFilter, sameName } from './scim-names.js';
import { ifMatch, resourcesOf } from './scim-users.js';

const PATCH_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const ATTEMPTS = 3;

export interface GroupRef {
  readonly id: string;
  readonly displayName: string;
}

export async function findGroup(client: ScimClient, name: string): Promise<GroupRef> {
  const { body } = await client.send({
    method: 'GET',
    path: '/Groups',
    query: { filter: eqFilter('displayName', name), excludedAttributes: 'members' },
  });
  const found = resourcesOf(body)
    .map((r) => r as { id?: unknown; displayName?: unknown })
    .filter((g) => typeof g.displayName === 'string' && sameName(g.displayName, name));
  if (found.length > 1) {
    throw new CustosError('TARGET_STATE_MISMATCH', `more than one SCIM group is named ${name}`);
  }
  const group = found[0];
  if (group === undefined) {
    throw new CustosError('CONNECTOR_REFUSED', `the SCIM service has no group named ${name}`, {
      details: { group: name },
    });
  }
  return { id: assertResourceId(group.id, `group ${name}`), displayName: name };
}

async function readMembers(
  client: ScimClient,
  group: GroupRef,
): Promise<{ members: Set<string>; version: string | null }> {
  const res = await client.send({ method: 'GET', path: resourcePath('/Groups', group.id) });
  const body = (res.body ?? {}) as { members?: unknown; meta?: { version?: unknown } };
  const list = Array.isArray(body.members) ? (body.members as { value?: unknown }[]) : [];
  const members = new Set(list.map((m) => m.value).filter((v): v is string => typeof v === 'string'));
  const version = typeof body.meta?.version === 'string' ? body.meta.version : res.etag;
  return { members, version };
}

export async function isMember(client: ScimClient, group: GroupRef, userId: string): Promise<boolean> {
  return (await readMembers(client, group)).members.has(userId);
}

/** Makes `userId` a member of `group` (or not); says whether anything had to change. */
export async function setMembership(
  client: ScimClient,
  group: GroupRef,
  userId: string,
  member: boolean,
  etag: boolean,
): Promise<'changed' | 'unchanged'> {
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const { members, version } = await readMembers(client, group);
    if (members.has(userId) === member) return 'unchanged';
    const operation = member
      ? { op: 'add', path: 'members', value: [{ value: userId }] }
      : { op: 'remove', path: `members[${eqFilter('value', userId)}]` };
    const res = await client.send({
      method: 'PATCH',
      path: resourcePath('/Groups', group.id),
      body: { schemas: [PATCH_SCHEMA], Operations: [operation] },
      accept: [412],
      ...ifMatch(etag, version),
    });
    if (res.status !== 412) return 'changed';
  }
  // A conflict, not a refusal: the group kept changing under us; the same step may succeed later.
  throw new CustosError(
    'CONNECTOR_REFUSED',
    `group ${group.displayName} changed concurrently ${ATTEMPTS} times`,
    {
      retryable: true,
      details: { group: group.displayName, status: 412 },
    },
  );
}
