/**
 * The statements of each action, run inside the step's transaction together with its journal row.
 * Passwords are generated here and sent only as SCRAM verifiers. Ending sessions is not
 * transactional, so the connector does it after commit (`endSessions`); `end_sessions` itself
 * ends them inside the transaction, to record how many it ended.
 */
import type { JsonValue } from '../../core/canonical-json.js';
import { CustosError } from '../../core/errors.js';
import { fingerprint, type FingerprintKey } from '../../ledger/secrets.js';
import type { IssuedSecret, Step } from '../contract.js';
import type { Sql } from './pg-admin.js';
import { describeGrant, entitlementsOf } from './pg-entitlements.js';
import { applyGrant } from './pg-grants.js';
import { noOverlap, numberParam } from './pg-plan.js';
import { managedComment, parseManaged, terminateSessions, type RoleState } from './pg-role.js';
import { newPassword, scramVerifier } from './scram.js';
import { quoteIdent, quoteLiteral } from './sql-escape.js';

export interface EffectContext {
  readonly sql: Sql;
  readonly step: Step;
  readonly role: string;
  readonly current: RoleState | undefined;
  readonly now: Date;
  readonly fingerprintKey: FingerprintKey;
  readonly defaultTtlSeconds: number;
}

export interface Effect {
  readonly outputs: Record<string, JsonValue>;
  /** The verifier this step replaced; kept in the journal for rollback, never returned. */
  readonly priorVerifier: string | null;
  /** The verifier this step set; kept in the journal for verify, never returned. */
  readonly setVerifier?: string;
  readonly secret?: IssuedSecret;
  /** The oid whose sessions must end once the transaction has committed. */
  readonly endSessions?: number;
}

export async function applyEffect(ctx: EffectContext): Promise<Effect> {
  const { sql, step, role, current } = ctx;
  const r = quoteIdent(role);
  if (step.action === 'create') {
    if (current !== undefined) throw mismatch(`role ${role} already exists`);
    const { verifier, secret, validUntil } = issue(ctx);
    await sql.query(
      `CREATE ROLE ${r} LOGIN PASSWORD ${quoteLiteral(verifier)} VALID UNTIL ${quoteLiteral(validUntil)}`,
    );
    await sql.query(
      `COMMENT ON ROLE ${r} IS ${quoteLiteral(managedComment(step.system.id, step.identity.id))}`,
    );
    const grants = entitlementsOf(step.params) ?? [];
    for (const g of grants) await applyGrant(sql, 'GRANT', g, role);
    const outputs = {
      role,
      fingerprint: secret.fingerprint,
      validUntil,
      canLogin: true,
      grants: grants.map(describeGrant),
    };
    return { outputs, priorVerifier: null, setVerifier: verifier, secret };
  }
  const state = assertManaged(ctx);
  const ended = { priorVerifier: state.verifier, endSessions: state.oid };
  switch (step.action) {
    case 'rotate': {
      if (numberParam(step, 'overlapSeconds') > 0) throw noOverlap();
      const { verifier, secret, validUntil } = issue(ctx);
      await sql.query(
        `ALTER ROLE ${r} PASSWORD ${quoteLiteral(verifier)} VALID UNTIL ${quoteLiteral(validUntil)}`,
      );
      return {
        ...ended,
        outputs: { role, fingerprint: secret.fingerprint, validUntil, overlapSeconds: 0 },
        setVerifier: verifier,
        secret,
      };
    }
    case 'grant':
    case 'revoke': {
      const grants = entitlementsOf(step.params);
      const verb = step.action === 'grant' ? 'GRANT' : 'REVOKE';
      if (grants === undefined && verb === 'REVOKE') {
        await sql.query(`ALTER ROLE ${r} PASSWORD NULL`);
        return { ...ended, outputs: { role, passwordRemoved: true } };
      }
      if (grants === undefined || grants.length === 0)
        throw new CustosError('INPUT_INVALID', `${step.action} needs params.entitlements`);
      for (const g of grants) await applyGrant(sql, verb, g, role);
      return {
        outputs: { role, [step.action === 'grant' ? 'granted' : 'revoked']: grants.map(describeGrant) },
        priorVerifier: null,
      };
    }
    case 'suspend':
    case 'enable': {
      const canLogin = step.action === 'enable';
      await sql.query(`ALTER ROLE ${r} ${canLogin ? 'LOGIN' : 'NOLOGIN'}`);
      const outputs = { role, canLogin };
      return canLogin ? { outputs, priorVerifier: null } : { ...ended, outputs };
    }
    case 'expire': {
      const at = ctx.now.toISOString();
      await sql.query(`ALTER ROLE ${r} VALID UNTIL ${quoteLiteral(at)}`);
      return { ...ended, outputs: { role, validUntil: at } };
    }
    case 'retire':
      await sql.query(`DROP OWNED BY ${r}`);
      await sql.query(`DROP ROLE ${r}`);
      return { ...ended, outputs: { role, retired: true } };
    case 'end_sessions':
      return { outputs: { role, ended: await terminateSessions(sql, state.oid) }, priorVerifier: null };
    default: {
      const action: string = step.action;
      throw new CustosError('CONNECTOR_REFUSED', `the postgres connector does not support ${action}`);
    }
  }
}

function issue(ctx: EffectContext): { verifier: string; secret: IssuedSecret; validUntil: string } {
  const ttl = numberParam(ctx.step, 'ttlSeconds') || ctx.defaultTtlSeconds;
  const validUntil = new Date(ctx.now.getTime() + ttl * 1000).toISOString();
  const value = newPassword();
  const secret = { value, fingerprint: fingerprint(ctx.fingerprintKey, value), expiresAt: validUntil };
  return { verifier: scramVerifier(value), secret, validUntil };
}

/** Custos changes only roles it created for this system and identity (never `postgres`, say). */
function assertManaged(ctx: EffectContext): RoleState {
  const { current, step, role } = ctx;
  if (current === undefined) throw mismatch(`role ${role} does not exist`);
  const managed = parseManaged(current.comment);
  if (managed?.system !== step.system.id || managed.identity !== step.identity.id) {
    throw mismatch(`role ${role} is not managed by Custos for ${step.system.id}/${step.identity.id}`);
  }
  return current;
}

function mismatch(message: string): CustosError {
  return new CustosError('TARGET_STATE_MISMATCH', message);
}
