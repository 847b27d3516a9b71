/** Human-readable effects of a step, as the requests it will send (never a password). */
import { CustosError } from '../../core/errors.js';
import type { Step, StepPlan } from '../contract.js';

const PASSWORD = '<generated password, sent once in the request body over TLS>';

export function planStep(step: Step, userName: string, groups: readonly string[] | undefined): StepPlan {
  const user = `/Users/<id of ${JSON.stringify(userName)}>`;
  const journal = 'the Custos journal entry';
  const members = (verb: 'add' | 'remove') =>
    (groups ?? []).map(
      (g) => `PATCH /Groups/<id of ${JSON.stringify(g)}> ${verb} member ${JSON.stringify(userName)}`,
    );
  const effects: Partial<Record<Step['action'], string[]>> = {
    create: [
      `POST /Users userName=${JSON.stringify(userName)} active=true password=${PASSWORD} with ${journal}`,
      ...members('add'),
    ],
    rotate: [
      `PATCH ${user} replace password=${PASSWORD} and ${journal} (no overlap: SCIM holds one password)`,
    ],
    grant: groups === undefined ? [] : [`PATCH ${user} ${journal} (pending)`, ...members('add')],
    revoke:
      groups === undefined
        ? [`PATCH ${user} replace password with a random one nobody receives, and ${journal}`]
        : [`PATCH ${user} ${journal} (pending)`, ...members('remove')],
    suspend: [`PATCH ${user} replace active=false and ${journal}`],
    enable: [`PATCH ${user} replace active=true and ${journal}`],
    retire: [`DELETE ${user}`],
  };
  const list = effects[step.action];
  if (list === undefined)
    throw new CustosError('CONNECTOR_REFUSED', `the SCIM connector cannot ${step.action}`);
  if (list.length === 0) throw new CustosError('INPUT_INVALID', `${step.action} needs params.entitlements`);
  return {
    summary: `${step.action} SCIM user ${userName} on ${step.system.id}`,
    effects: list,
    rollback: irreversible(step, groups) ? 'irreversible' : 'compensating',
  };
}

/** Deleting a user, and replacing a write-only password, cannot be undone. */
function irreversible(step: Step, groups: readonly string[] | undefined): boolean {
  return (
    step.action === 'retire' || step.action === 'rotate' || (step.action === 'revoke' && groups === undefined)
  );
}
