/** Human-readable effects of a step, as the statements it will send (verifiers elided). */
import { CustosError } from '../../core/errors.js';
import type { Step, StepPlan } from '../contract.js';
import { entitlementsOf } from './pg-entitlements.js';
import { grantStatement } from './pg-grants.js';
import { quoteIdent, quoteLiteral } from './sql-escape.js';

const VERIFIER = "'<SCRAM-SHA-256 verifier>'";

/**
 * The effects of a step, and every check that needs only the step (checkStep runs it before a
 * request is filed; apply meets the same refusals).
 */
export function planStep(step: Step, role: string): StepPlan {
  const r = quoteIdent(role);
  const named = entitlementsOf(step.params);
  numberParam(step, 'ttlSeconds');
  if (step.action === 'rotate' && numberParam(step, 'overlapSeconds') > 0) throw noOverlap();
  const grants = named ?? [];
  const end = `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = ${quoteLiteral(role)}`;
  const effects: Partial<Record<Step['action'], string[]>> = {
    create: [
      `CREATE ROLE ${r} LOGIN PASSWORD ${VERIFIER} VALID UNTIL '<now + ttl>'`,
      ...grants.map((g) => grantStatement('GRANT', g, role)),
    ],
    rotate: [
      `ALTER ROLE ${r} PASSWORD ${VERIFIER} VALID UNTIL '<now + ttl>' (no overlap on PostgreSQL)`,
      end,
    ],
    grant: grants.map((g) => grantStatement('GRANT', g, role)),
    revoke:
      named === undefined
        ? [`ALTER ROLE ${r} PASSWORD NULL`, end]
        : grants.map((g) => grantStatement('REVOKE', g, role)),
    suspend: [`ALTER ROLE ${r} NOLOGIN`, end],
    enable: [`ALTER ROLE ${r} LOGIN`],
    expire: [`ALTER ROLE ${r} VALID UNTIL '<now>'`, end],
    retire: [`DROP OWNED BY ${r}`, `DROP ROLE ${r}`, end],
    end_sessions: [end],
  };
  const list = effects[step.action];
  if (list === undefined || list.length === 0) {
    throw new CustosError('INPUT_INVALID', `the postgres connector cannot ${step.action} without params`);
  }
  const rollback = step.action === 'retire' ? 'irreversible' : 'compensating';
  return { summary: `${step.action} role ${role} on ${step.system.id}`, effects: list, rollback };
}

/** A lifetime or window in seconds (absent: 0). */
export function numberParam(step: Step, name: string): number {
  const value = step.params[name] ?? 0;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new CustosError('INPUT_INVALID', `params.${name} must be a non-negative number of seconds`);
  }
  return value;
}

export function noOverlap(): CustosError {
  return new CustosError(
    'CONNECTOR_REFUSED',
    'PostgreSQL holds one password per role: a rotation overlap is not possible',
  );
}
