/**
 * Verification after a rollback: the account compared with the prior state the rollback restored
 * (kept in the step's journal record, fingerprints only), not merely the rolled-back mark.
 */
import type { VerifyCheck } from '../contract.js';
import { credentialFingerprints, type AccountState } from './ldap-account.js';
import type { Ldap } from './ldap-admin.js';
import { memberships } from './ldap-groups.js';
import type { JournalRecord } from './ldap-journal.js';
import { priorSchema } from './ldap-prior.js';
import type { VerifyContext } from './ldap-verify.js';

export async function restoredChecks(
  ldap: Ldap,
  ctx: VerifyContext,
  record: JournalRecord,
  state: AccountState | undefined,
): Promise<VerifyCheck[]> {
  const checks: VerifyCheck[] = [
    { name: 'rolled back', ok: true, detail: `at ${record.rolledBackAt ?? '?'}` },
  ];
  const check = (name: string, ok: boolean, detail: string) => checks.push({ name, ok, detail });
  const parsed = priorSchema.safeParse(record.restoredPrior);
  if (!parsed.success) {
    check('prior state restored', false, 'the prior state kept by the rollback is missing or malformed');
    return checks;
  }
  const prior = parsed.data;
  if (!prior.exists || state === undefined) {
    const ok = prior.exists === (state !== undefined);
    check(
      prior.exists ? 'entry exists as before' : 'entry absent as before',
      ok,
      state ? 'exists' : 'absent',
    );
    return checks;
  }
  check(
    'lock restored',
    state.locked === prior.locked,
    `is ${state.locked ?? 'absent'}, was ${prior.locked ?? 'absent'}`,
  );
  check(
    'pwdEndTime restored',
    state.validUntil === prior.validUntil,
    `is ${state.validUntil ?? 'absent'}, was ${prior.validUntil ?? 'absent'}`,
  );
  const wanted = prior.credentials.map((c) => c.fingerprint).sort();
  const held = credentialFingerprints(state, ctx.key).sort();
  const same = wanted.length === held.length && wanted.every((f, i) => f === held[i]);
  check(
    'passwords restored',
    same,
    same ? `the ${held.length} prior value(s), no other` : 'the password values differ from the prior ones',
  );
  for (const m of await memberships(ldap, ctx.groups, ctx.account)) {
    const was = prior.groups.find((g) => g.group.toLowerCase() === m.grant.group.toLowerCase());
    if (was === undefined) continue;
    check(
      `membership of ${m.grant.group} restored`,
      m.member === was.member,
      m.member ? 'member' : 'not a member',
    );
  }
  return checks;
}
