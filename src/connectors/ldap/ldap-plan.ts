/** Human-readable effects of a step, as the LDAP requests it will send (password values elided). */
import { CustosError } from '../../core/errors.js';
import type { Step, StepPlan } from '../contract.js';
import type { StepParams } from './ldap-params.js';

const HASH = '{SSHA}<hash computed by Custos>';
const SESSIONS =
  'connections bound before this step keep their identity until they rebind (LDAP checks passwords and locks at bind time only)';

export function planStep(step: Step, account: string, params: StepParams): StepPlan {
  const groups = params.groups ?? [];
  const member = (verb: 'add' | 'delete') => groups.map((g) => `modify ${g.dn}: ${verb} member ${account}`);
  const rotate =
    params.overlapSeconds > 0
      ? [
          `modify ${account}: add userPassword ${HASH}, replace pwdEndTime <now + ttl>`,
          `after ${params.overlapSeconds}s: delete the old userPassword value(s) (journaled window end, swept)`,
        ]
      : [`modify ${account}: replace the userPassword value(s) with ${HASH}, replace pwdEndTime <now + ttl>`];
  const effects: Partial<Record<Step['action'], string[]>> = {
    create: [
      `add ${account}: objectClass applicationProcess+simpleSecurityObject, userPassword ${HASH}, pwdEndTime <now + ttl>`,
      ...member('add'),
    ],
    rotate: [...rotate, SESSIONS],
    grant: member('add'),
    revoke:
      params.groups === undefined
        ? [
            `modify ${account}: delete every userPassword value and objectClass simpleSecurityObject`,
            SESSIONS,
          ]
        : member('delete'),
    suspend: [`modify ${account}: replace pwdAccountLockedTime 000001010000Z (ppolicy lock)`, SESSIONS],
    enable: [`modify ${account}: delete pwdAccountLockedTime`],
    expire: [`modify ${account}: replace pwdEndTime <now - 1s>`, SESSIONS],
    retire: [
      `modify every group under the groups DN: delete member ${account}`,
      `delete ${account}`,
      SESSIONS,
    ],
    end_sessions: ["nothing: slapd offers no way to end another client's connection (0 ended)"],
  };
  const list = effects[step.action] ?? [];
  if (list.length === 0) {
    throw new CustosError('INPUT_INVALID', `${step.action} needs params.entitlements (group names)`);
  }
  const rollback = step.action === 'retire' ? 'irreversible' : 'compensating';
  return {
    summary: `${step.action} service account ${account} on ${step.system.id}`,
    effects: list,
    rollback,
  };
}
