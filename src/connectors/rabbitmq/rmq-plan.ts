/** Human-readable effects of a step, as the management API requests it will send (no hash, no secret). */
import { CustosError } from '../../core/errors.js';
import type { Step, StepPlan } from '../contract.js';
import { describeEntitlement, isPermission, type Entitlement } from './rmq-entitlements.js';
import { journalName } from './rmq-journal.js';
import { segment } from './rmq-names.js';
import type { StepParams } from './rmq-params.js';
import { managedTag } from './rmq-user.js';

export function planStep(step: Step, user: string, params: StepParams, vhost: string): StepPlan {
  const u = segment(user);
  const named = params.entitlements;
  const list = named ?? [];
  const end = `DELETE /api/connections/username/${u}`;
  const permission = (e: Entitlement) =>
    isPermission(e)
      ? `PUT /api/permissions/${segment(e.vhost)}/${u} (${describeEntitlement(e)})`
      : `DELETE /api/permissions/${segment(e.vhost)}/${u}`;
  const home = list.some((e) => e.vhost === vhost)
    ? []
    : [`PUT /api/permissions/${segment(vhost)}/${u} (vhost=${vhost}, connect only: empty patterns)`];
  const userPut = (what: string) => `PUT /api/users/${u} (password_hash: ${what}, ${HASH_NOTE})`;
  const effects: Partial<Record<Step['action'], string[]>> = {
    create: [
      `${userPut('<salted SHA-256 of a generated password>')} tags: ${managedTag(step.system.id, step.identity.id)}`,
      ...home,
      ...list.map(permission),
    ],
    rotate: [
      `${userPut('<salted SHA-256 of a generated password>')} tags kept (no overlap on RabbitMQ)`,
      end,
    ],
    grant: list.map(permission),
    revoke:
      named === undefined
        ? [`${userPut('"" (no password login)')} tags kept`, end]
        : [...list.map(permission), end],
    suspend: [`PUT /api/user-limits/${u}/max-connections (value: 0)`, end],
    enable: [`DELETE /api/user-limits/${u}/max-connections (if it is 0)`],
    retire: [`DELETE /api/users/${u} (closes its connections, drops its permissions and limits)`, end],
    end_sessions: [end],
  };
  const steps = effects[step.action];
  if (steps === undefined) {
    throw new CustosError('CONNECTOR_REFUSED', `the rabbitmq connector does not support ${step.action}`);
  }
  const journal = `PUT /api/global-parameters/${journalName(step)} (the step's journal entry)`;
  return {
    summary: `${step.action} user ${user} on ${step.system.id}`,
    effects: [...steps, journal],
    rollback: 'compensating',
  };
}

const HASH_NOTE = 'hashing_algorithm: rabbit_password_hashing_sha256';
