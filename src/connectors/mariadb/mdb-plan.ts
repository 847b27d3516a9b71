/** Human-readable effects of a step, as the statements it will send (hashes elided). */
import { CustosError } from '../../core/errors.js';
import type { Step, StepPlan } from '../contract.js';
import { alterUser } from './mdb-account.js';
import { checkParams } from './mdb-effects.js';
import { grantStatement } from './mdb-grants.js';
import { accountSql, type Account } from './mdb-sql.js';

const HASH = "IDENTIFIED BY PASSWORD '<mysql_native_password hash>'";
const LIFETIME = 'PASSWORD EXPIRE INTERVAL <ttl in days> DAY';

export function planStep(step: Step, account: Account): StepPlan {
  const named = checkParams(step);
  const grants = named ?? [];
  const end = `KILL CONNECTION <each session of user '${account.user}'>`;
  const effects: Partial<Record<Step['action'], string[]>> = {
    create: [
      `CREATE USER ${accountSql(account)} ${HASH} ${LIFETIME}`,
      ...grants.map((g) => grantStatement('GRANT', g, account)),
    ],
    rotate: [alterUser(account, `${HASH} ${LIFETIME}`) + ' (no overlap on MariaDB)', end],
    grant: grants.map((g) => grantStatement('GRANT', g, account)),
    revoke:
      named === undefined
        ? [alterUser(account, "IDENTIFIED VIA mysql_native_password USING 'invalid'"), end]
        : [...grants.map((g) => grantStatement('REVOKE', g, account)), end],
    suspend: [alterUser(account, 'ACCOUNT LOCK'), end],
    enable: [alterUser(account, 'ACCOUNT UNLOCK')],
    expire: [alterUser(account, 'PASSWORD EXPIRE'), end],
    retire: [`DROP USER ${accountSql(account)}`, end],
    end_sessions: [end],
  };
  const list = effects[step.action];
  if (list === undefined || list.length === 0) {
    throw new CustosError('INPUT_INVALID', `the mariadb connector cannot ${step.action} without params`);
  }
  const rollback = step.action === 'retire' ? 'irreversible' : 'compensating';
  return {
    summary: `${step.action} account ${accountSql(account)} on ${step.system.id}`,
    effects: list,
    rollback,
  };
}
