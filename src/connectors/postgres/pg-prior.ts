/**
 * Rollback by compensation from the prior state (role DDL is transactional, so the whole
 * compensation commits or not at all). The prior state carries no verifier, only its fingerprint:
 * the verifier a step replaced stays on the target, in the journal row of that step, and is put
 * back only if its fingerprint matches the prior state's — so the old password works again.
 * A dropped role is not recreated: retire is irreversible.
 */
import { z } from 'zod';
import { CustosError } from '../../core/errors.js';
import { fingerprint, type FingerprintKey } from '../../ledger/secrets.js';
import type { PriorState, Step } from '../contract.js';
import type { Sql } from './pg-admin.js';
import { entitlementsOf, grantKey } from './pg-entitlements.js';
import { applyGrant, holds } from './pg-grants.js';
import { journalRow, markRolledBack } from './pg-journal.js';
import { parseManaged, readRole } from './pg-role.js';
import { quoteIdent, quoteLiteral } from './sql-escape.js';

export const priorSchema = z.object({
  exists: z.boolean(),
  canLogin: z.boolean().nullable(),
  validUntil: z.string().nullable(),
  credentials: z.array(z.object({ fingerprint: z.string() })),
  grants: z.array(z.object({ privilege: z.string(), on: z.string(), name: z.string(), held: z.boolean() })),
});

export type Prior = z.infer<typeof priorSchema>;

/** Whether each of the step's grants was held before, keyed by grantKey. */
export function heldBefore(prior: Prior): Map<string, boolean> {
  return new Map(prior.grants.map((g) => [grantKey(g), g.held]));
}

export async function readPriorState(
  sql: Sql,
  step: Step,
  role: string,
  key: FingerprintKey,
): Promise<PriorState> {
  const state = await readRole(sql, role);
  const grants = [];
  for (const g of entitlementsOf(step.params) ?? []) {
    grants.push({ ...g, held: state !== undefined && (await holds(sql, role, g)) });
  }
  return {
    exists: state !== undefined,
    canLogin: state?.canLogin ?? null,
    validUntil: state?.validUntil ?? null,
    credentials: state?.verifier == null ? [] : [{ fingerprint: fingerprint(key, state.verifier) }],
    grants,
  };
}

/** Restores `prior`; returns the oid whose sessions must end after commit, if any. */
export async function restorePrior(
  sql: Sql,
  step: Step,
  role: string,
  input: PriorState,
  key: FingerprintKey,
): Promise<number | undefined> {
  const parsed = priorSchema.safeParse(input);
  if (!parsed.success) throw new CustosError('INPUT_INVALID', 'prior state is not a postgres prior state');
  const prior = parsed.data;
  const current = await readRole(sql, role);
  const r = quoteIdent(role);
  let endSessions: number | undefined;
  if (current !== undefined) {
    const managed = parseManaged(current.comment);
    if (managed?.system !== step.system.id || managed.identity !== step.identity.id) {
      throw new CustosError(
        'TARGET_STATE_MISMATCH',
        `role ${role} is not managed by Custos for this identity`,
      );
    }
  }
  if (!prior.exists && current !== undefined) {
    await sql.query(`DROP OWNED BY ${r}`);
    await sql.query(`DROP ROLE ${r}`);
    endSessions = current.oid;
  } else if (prior.exists && current === undefined) {
    throw new CustosError('TARGET_STATE_MISMATCH', `role ${role} was dropped: retire cannot be rolled back`);
  } else if (prior.exists && current !== undefined) {
    const wanted = prior.credentials[0]?.fingerprint ?? null;
    const now = current.verifier === null ? null : fingerprint(key, current.verifier);
    if (wanted !== now) {
      await sql.query(`ALTER ROLE ${r} PASSWORD ${await priorVerifier(sql, step, key, wanted)}`);
      endSessions = current.oid;
    }
    if (prior.canLogin !== null && prior.canLogin !== current.canLogin) {
      await sql.query(`ALTER ROLE ${r} ${prior.canLogin ? 'LOGIN' : 'NOLOGIN'}`);
    }
    if (prior.validUntil !== null && prior.validUntil !== current.validUntil) {
      await sql.query(`ALTER ROLE ${r} VALID UNTIL ${quoteLiteral(prior.validUntil)}`);
    }
    const before = heldBefore(prior);
    for (const g of entitlementsOf(step.params) ?? []) {
      const held = before.get(grantKey(g));
      if (held === undefined || held === (await holds(sql, role, g))) continue;
      await applyGrant(sql, held ? 'GRANT' : 'REVOKE', g, role);
    }
  }
  await markRolledBack(sql, step.runId, step.stepId, prior);
  return endSessions;
}

async function priorVerifier(
  sql: Sql,
  step: Step,
  key: FingerprintKey,
  wanted: string | null,
): Promise<string> {
  if (wanted === null) return 'NULL';
  const row = await journalRow(sql, step.runId, step.stepId);
  const verifier = row?.prior_verifier ?? null;
  if (verifier === null || fingerprint(key, verifier) !== wanted) {
    throw new CustosError('TARGET_STATE_MISMATCH', 'the prior password is not in the journal of this step');
  }
  return quoteLiteral(verifier);
}
