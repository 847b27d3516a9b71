/** Human-readable effects of a step, as the commands it will send (password hashes elided). */
import type { Step, StepPlan } from '../contract.js';
import { checkParams, grantRules, overlapSeconds } from './redis-effects.js';
import { entitlementsOf, ruleOf, type Entitlement } from './redis-entitlements.js';
import { refused } from './redis-errors.js';

const NEW = '#<sha256 of a new password>';

export function planStep(step: Step, user: string): StepPlan {
  const named = entitlementsOf(step.params);
  checkParams(step);
  const list = named ?? [];
  const setuser = (...rules: string[]) => ['ACL SETUSER', user, ...rules].join(' ');
  const kill = `CLIENT KILL USER ${user}`;
  const overlap = overlapSeconds(step);
  const effects: Partial<Record<Step['action'], string[]>> = {
    create: [setuser('reset', 'on', NEW, 'resetchannels', ...grantRules(list))],
    rotate:
      overlap > 0
        ? [
            setuser('resetpass', '#<current hashes>', NEW),
            kill,
            `after ${overlap}s (endOverlaps): ${setuser('resetpass', NEW)}; ${kill}`,
          ]
        : [setuser('resetpass', NEW), kill],
    grant: list.length > 0 ? [setuser(...grantRules(list))] : [],
    revoke: named === undefined ? [setuser('resetpass'), kill] : list.map(revokeEffect),
    suspend: [setuser('off'), kill],
    enable: [setuser('on')],
    retire: [`ACL DELUSER ${user} (ends its sessions)`],
    end_sessions: [kill],
  };
  const commands = effects[step.action];
  if (commands === undefined || commands.length === 0) {
    throw refused(
      `the redis connector cannot ${step.action}${step.action === 'expire' ? ': Redis ACL passwords do not expire' : ' without params.entitlements'}`,
    );
  }
  return {
    summary: `${step.action} ACL user ${user} on ${step.system.id}`,
    effects: [...commands, 'ACL SAVE'],
    rollback: 'compensating',
  };
}

function revokeEffect(e: Entitlement): string {
  if (e.kind === 'keys') return `resetkeys, then restate the key patterns without ${ruleOf(e)}`;
  if (e.kind === 'channels') return `resetchannels, then restate the channel patterns without ${ruleOf(e)}`;
  if (e.sign === '-') throw refused(`entitlement "${ruleOf(e)}" is a deny rule: revoking it would grant`);
  return `-${ruleOf(e).slice(1)}`;
}
