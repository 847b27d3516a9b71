/**
 * The changes a step makes, as data: each op is one idempotent request (PUT sets an absolute value,
 * DELETE of what is already gone succeeds), so a list of ops can run again after a crash and end in
 * the same state. The list is kept in the step's journal entry before it runs (rmq-journal.ts);
 * `holds` says whether an op's effect is on the target, which is what verify checks and what a
 * resumed step uses to tell whether the first attempt took effect.
 */
import type { Permission } from './rmq-entitlements.js';
import { describeEntitlement, samePermission } from './rmq-entitlements.js';
import type { ManagementApi } from './rmq-http.js';
import { segment } from './rmq-names.js';
import type { UserState } from './rmq-user.js';

export type Op =
  /** A PUT replaces the whole user: hash, algorithm and tags are always sent together. */
  | { readonly op: 'put_user'; readonly hash: string; readonly algorithm: string; readonly tags: string[] }
  | { readonly op: 'delete_user' }
  | { readonly op: 'put_permission'; readonly permission: Permission }
  | { readonly op: 'delete_permission'; readonly vhost: string }
  | { readonly op: 'put_limit'; readonly limit: Limit; readonly value: number }
  | { readonly op: 'delete_limit'; readonly limit: Limit }
  | { readonly op: 'end_sessions' };

export type Limit = 'max-connections' | 'max-channels';

export interface OpsResult {
  /** Connections closed by `end_sessions` ops. */
  readonly ended: number;
  /** The broker's clock when sessions were last ended (ms), if they were. */
  readonly endedAt: number | undefined;
}

export async function runOps(api: ManagementApi, user: string, ops: readonly Op[]): Promise<OpsResult> {
  const u = segment(user);
  let ended = 0;
  let endedAt: number | undefined;
  for (const op of ops) {
    switch (op.op) {
      case 'put_user':
        await api.request('PUT', `/users/${u}`, {
          password_hash: op.hash,
          hashing_algorithm: op.algorithm,
          tags: op.tags.join(','),
        });
        break;
      case 'delete_user':
        await api.request('DELETE', `/users/${u}`, undefined, { missingOk: true });
        break;
      case 'put_permission': {
        const { vhost, configure, write, read } = op.permission;
        await api.request('PUT', `/permissions/${segment(vhost)}/${u}`, { configure, write, read });
        break;
      }
      case 'delete_permission':
        await api.request('DELETE', `/permissions/${segment(op.vhost)}/${u}`, undefined, { missingOk: true });
        break;
      case 'put_limit':
        await api.request('PUT', `/user-limits/${u}/${op.limit}`, { value: op.value });
        break;
      case 'delete_limit':
        await api.request('DELETE', `/user-limits/${u}/${op.limit}`, undefined, { missingOk: true });
        break;
      case 'end_sessions': {
        const open = await api.request('GET', `/connections/username/${u}`, undefined, { missingOk: true });
        ended += Array.isArray(open.body) ? open.body.length : 0;
        endedAt = (await api.request('DELETE', `/connections/username/${u}`)).date;
        break;
      }
    }
  }
  return { ended, endedAt };
}

/** Whether the effect of `op` is on the target now (`end_sessions` is checked apart, by time). */
export function holds(op: Op, state: UserState | undefined): boolean {
  switch (op.op) {
    case 'put_user':
      return (
        state !== undefined &&
        state.hash === op.hash &&
        state.algorithm === op.algorithm &&
        state.tags.join(',') === [...op.tags].sort().join(',')
      );
    case 'delete_user':
      return state === undefined;
    case 'put_permission':
      return samePermission(permissionOn(state, op.permission.vhost), op.permission);
    case 'delete_permission':
      return state !== undefined && permissionOn(state, op.vhost) === undefined;
    case 'put_limit':
      return state !== undefined && limitOf(state, op.limit) === op.value;
    case 'delete_limit':
      return state !== undefined && limitOf(state, op.limit) === null;
    case 'end_sessions':
      return true;
  }
}

/** What an op does, for plans and verify checks (never a hash). */
export function describeOp(op: Op): string {
  switch (op.op) {
    case 'put_user':
      return op.hash === ''
        ? `user without a password, tags [${op.tags.join(', ')}]`
        : `user with the password hash this step set, tags [${op.tags.join(', ')}]`;
    case 'delete_user':
      return 'user deleted';
    case 'put_permission':
      return `permission ${describeEntitlement(op.permission)}`;
    case 'delete_permission':
      return `no permission on vhost ${op.vhost}`;
    case 'put_limit':
      return `${op.limit} = ${op.value}`;
    case 'delete_limit':
      return `no ${op.limit} limit`;
    case 'end_sessions':
      return 'sessions ended';
  }
}

export function permissionOn(state: UserState | undefined, vhost: string): Permission | undefined {
  return state?.permissions.find((p) => p.vhost === vhost);
}

export function limitOf(state: UserState, limit: Limit): number | null {
  return limit === 'max-connections' ? state.maxConnections : state.maxChannels;
}
