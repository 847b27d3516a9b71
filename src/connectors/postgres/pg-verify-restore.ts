/**
 * Verification after a rollback: the role compared with the prior state the rollback restored
 * (kept in the step's journal row, fingerprints only), not merely the journal's rolled-back mark.
 * The password is compared by fingerprint of its verifier, as the prior state records it.
 */
import { fingerprint, type FingerprintKey } from '../../ledger/secrets.js';
import type { Step, VerifyCheck } from '../contract.js';
import type { Sql } from './pg-admin.js';
import { describeGrant, entitlementsOf, grantKey } from './pg-entitlements.js';
import { holds } from './pg-grants.js';
import type { JournalRow } from './pg-journal.js';
import { heldBefore, priorSchema, type Prior } from './pg-prior.js';
import type { RoleState } from './pg-role.js';

export async function restoredChecks(
  sql: Sql,
  step: Step,
  role: string,
  row: JournalRow,
  state: RoleState | undefined,
  key: FingerprintKey,
): Promise<VerifyCheck[]> {
  const at = row.rolled_back_at?.toISOString() ?? 'an unknown time';
  if (row.restored_prior === null) {
    // Rolled back by a connector that did not keep the prior state: only the mark can be checked.
    return [{ name: 'rolled back', ok: true, detail: `rolled back at ${at} (prior state not kept)` }];
  }
  const checks: VerifyCheck[] = [{ name: 'rolled back', ok: true, detail: `rolled back at ${at}` }];
  const check = (name: string, ok: boolean, detail: string) => checks.push({ name, ok, detail });
  const prior = parsePrior(row.restored_prior);
  if (prior === undefined) {
    check('prior state restored', false, 'the prior state kept by the rollback is malformed');
    return checks;
  }
  if (!prior.exists) {
    check('role absent as before', state === undefined, state ? `role ${role} exists` : 'absent');
    return checks;
  }
  if (state === undefined) {
    check('role exists as before', false, `role ${role} is absent`);
    return checks;
  }
  if (prior.canLogin !== null) {
    const detail = `is ${state.canLogin}, was ${prior.canLogin}`;
    check('rolcanlogin restored', state.canLogin === prior.canLogin, detail);
  }
  if (prior.validUntil !== null) {
    const detail = `is ${state.validUntil}, was ${prior.validUntil}`;
    check('rolvaliduntil restored', state.validUntil === prior.validUntil, detail);
  }
  const wanted = prior.credentials[0]?.fingerprint ?? null;
  const current = state.verifier === null ? null : fingerprint(key, state.verifier);
  check('password restored', wanted === current, passwordDetail(wanted, current));
  const before = heldBefore(prior);
  for (const g of entitlementsOf(step.params) ?? []) {
    const held = before.get(grantKey(g));
    if (held === undefined) continue;
    const now = await holds(sql, role, g);
    check(
      `${describeGrant(g)} restored`,
      now === held,
      `${now ? 'held' : 'not held'}, was ${held ? 'held' : 'not'}`,
    );
  }
  return checks;
}

function parsePrior(text: string): Prior | undefined {
  try {
    const parsed = priorSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

function passwordDetail(wanted: string | null, current: string | null): string {
  if (wanted === current) return wanted === null ? 'no password, as before' : 'the prior verifier is back';
  if (wanted === null) return 'a password is set; there was none';
  return current === null ? 'no password; there was one' : 'the verifier differs from the prior one';
}
