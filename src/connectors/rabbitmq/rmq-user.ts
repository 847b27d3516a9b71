/**
 * A user as the broker holds it: password hash, tags, user limits and per-vhost permissions, read
 * through the management API (two requests; the limits come with the user since 3.10, and from
 * /api/user-limits otherwise). Responses are validated: they are the target's data.
 *
 * A user managed by Custos carries the tag `custos:<system>/<identity>` (ids cannot hold commas,
 * RabbitMQ's tag separator). Tags other than administrator, monitoring, policymaker, management
 * and impersonator grant nothing, so the marker is inert on the broker.
 */
import { z } from 'zod';
import { CustosError } from '../../core/errors.js';
import type { Step } from '../contract.js';
import type { Permission } from './rmq-entitlements.js';
import type { ManagementApi } from './rmq-http.js';
import { segment } from './rmq-names.js';

export interface UserState {
  readonly hash: string;
  readonly algorithm: string;
  /** Sorted. */
  readonly tags: readonly string[];
  readonly maxConnections: number | null;
  readonly maxChannels: number | null;
  /** Sorted by vhost. */
  readonly permissions: readonly Permission[];
}

const limitsSchema = z.object({
  'max-connections': z.number().int().optional(),
  'max-channels': z.number().int().optional(),
});
const userSchema = z.object({
  name: z.string(),
  password_hash: z.string(),
  hashing_algorithm: z.string(),
  tags: z.union([z.array(z.string()), z.string()]),
  limits: limitsSchema.optional(),
});
const permissionsSchema = z.array(
  z.object({ vhost: z.string(), configure: z.string(), write: z.string(), read: z.string() }),
);
const userLimitsSchema = z.array(z.object({ user: z.string(), value: limitsSchema }));

export async function readUser(api: ManagementApi, user: string): Promise<UserState | undefined> {
  const found = await api.request('GET', `/users/${segment(user)}`, undefined, { missingOk: true });
  if (found.status === 404) return undefined;
  const u = parseBody(userSchema, found.body, `user ${user}`);
  const perms = await api.request('GET', `/users/${segment(user)}/permissions`, undefined, {
    missingOk: true,
  });
  const permissions =
    perms.status === 404 ? [] : parseBody(permissionsSchema, perms.body, `permissions of ${user}`);
  const limits = u.limits ?? (await readLimits(api, user));
  return {
    hash: u.password_hash,
    algorithm: u.hashing_algorithm,
    tags: tagList(u.tags),
    maxConnections: limits['max-connections'] ?? null,
    maxChannels: limits['max-channels'] ?? null,
    permissions: permissions
      .map(({ vhost, configure, write, read }) => ({ vhost, configure, write, read }))
      .sort((a, b) => (a.vhost < b.vhost ? -1 : a.vhost > b.vhost ? 1 : 0)),
  };
}

async function readLimits(api: ManagementApi, user: string): Promise<z.infer<typeof limitsSchema>> {
  const res = await api.request('GET', `/user-limits/${segment(user)}`, undefined, { missingOk: true });
  if (res.status === 404) return {};
  return parseBody(userLimitsSchema, res.body, `limits of ${user}`)[0]?.value ?? {};
}

/** Every user with its tags (one request; for reconciliation). */
export async function readUsers(api: ManagementApi) {
  const res = await api.request('GET', '/users');
  const users = parseBody(z.array(userSchema), res.body, 'the user list');
  return users.map((u) => ({ name: u.name, tags: tagList(u.tags) }));
}

export function tagList(tags: readonly string[] | string): string[] {
  const list = typeof tags === 'string' ? tags.split(',') : tags;
  return list
    .map((t) => t.trim())
    .filter((t) => t !== '')
    .sort();
}

export const MARKER_PREFIX = 'custos:';

export function managedTag(systemId: string, identityId: string): string {
  return `${MARKER_PREFIX}${systemId}/${identityId}`;
}

export function isManagedBy(state: UserState, step: Step): boolean {
  return state.tags.includes(managedTag(step.system.id, step.identity.id));
}

/** Custos changes only users it created for this system and identity (never the admin, say). */
export function assertManaged(state: UserState | undefined, step: Step, user: string): UserState {
  if (state === undefined) throw mismatch(`user ${user} does not exist`);
  if (!isManagedBy(state, step)) {
    throw mismatch(`user ${user} is not managed by Custos for ${step.system.id}/${step.identity.id}`);
  }
  return state;
}

export function mismatch(message: string): CustosError {
  return new CustosError('TARGET_STATE_MISMATCH', message);
}

/** A response body of the expected shape, or CONNECTOR_REFUSED (the target's data is checked). */
export function parseBody<T>(schema: z.ZodType<T>, body: unknown, what: string): T {
  const parsed = schema.safeParse(body);
  if (!parsed.success) {
    throw new CustosError('CONNECTOR_REFUSED', `RabbitMQ answered with an unexpected shape for ${what}`);
  }
  return parsed.data;
}
