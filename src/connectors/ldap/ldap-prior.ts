/**
 * Rollback by compensation: LDAP has no transactions spanning the account, its groups and the
 * journal, so the prior state read before a step is put back with ordinary modifies afterwards.
 *
 * The prior state carries fingerprints of the password values, never the values (prior states
 * travel to the run engine and its ledger). The values a step replaced stay on the directory, in
 * the step's journal record, and are put back only if their fingerprints match the prior state's.
 * A deleted account is not recreated: retire is irreversible. The journal record is then marked
 * rolled back with the prior state it restored (for verify), which also closes an overlap window
 * so that the sweep never removes a value the rollback put back.
 */
import { z } from 'zod';
import { CustosError } from '../../core/errors.js';
import { fingerprint, type FingerprintKey } from '../../ledger/secrets.js';
import type { PriorState, Step } from '../contract.js';
import { credentialFingerprints, generalizedTime, readAccount, type AccountState } from './ldap-account.js';
import type { Ldap, Mod } from './ldap-admin.js';
import type { GroupGrant } from './ldap-entitlements.js';
import { memberships, setMember } from './ldap-groups.js';
import { readJournal, swapRecord } from './ldap-journal.js';
import { dropAccountFromGroups } from './ldap-retire.js';
import type { LdapSettings } from './ldap-settings.js';

export const priorSchema = z.object({
  exists: z.boolean(),
  locked: z.string().nullable(),
  validUntil: z.string().nullable(),
  credentials: z.array(z.object({ fingerprint: z.string() })),
  groups: z.array(z.object({ group: z.string(), member: z.boolean() })),
});

export type Prior = z.infer<typeof priorSchema>;

export async function readPriorState(
  ldap: Ldap,
  account: string,
  groups: readonly GroupGrant[],
  key: FingerprintKey,
): Promise<PriorState> {
  const state = await readAccount(ldap, account);
  const held = state === undefined ? [] : await memberships(ldap, groups, account);
  return {
    exists: state !== undefined,
    locked: state?.locked ?? null,
    validUntil: state?.validUntil ?? null,
    credentials: credentialFingerprints(state, key).map((f) => ({ fingerprint: f })),
    groups: groups.map((g) => ({
      group: g.group,
      member: held.some((h) => h.grant.dn === g.dn && h.member),
    })),
  };
}

export function parsePrior(input: unknown): Prior {
  const parsed = priorSchema.safeParse(input);
  if (!parsed.success) throw new CustosError('INPUT_INVALID', 'prior state is not an ldap prior state');
  return parsed.data;
}

export interface RestoreContext {
  readonly step: Step;
  readonly settings: LdapSettings;
  readonly account: string;
  readonly groups: readonly GroupGrant[];
  readonly key: FingerprintKey;
  readonly now: Date;
}

export async function restorePrior(ldap: Ldap, ctx: RestoreContext, prior: Prior): Promise<void> {
  const { step, account } = ctx;
  const current = await readAccount(ldap, account);
  if (
    current !== undefined &&
    (current.managed?.system !== step.system.id || current.managed.identity !== step.identity.id)
  ) {
    throw new CustosError(
      'TARGET_STATE_MISMATCH',
      `account ${account} is not managed by Custos for this identity`,
    );
  }
  const journal = await readJournal(ldap, ctx.settings, step.runId, step.stepId);
  if (!prior.exists && current !== undefined) {
    await dropAccountFromGroups(ldap, ctx.settings, account);
    await ldap.del(account);
  } else if (prior.exists && current === undefined) {
    throw new CustosError(
      'TARGET_STATE_MISMATCH',
      `account ${account} was deleted: retire cannot be rolled back`,
    );
  } else if (current !== undefined) {
    await restorePasswords(ldap, ctx, prior, current, journal?.record.priorPasswords ?? []);
    const mods: Mod[] = [];
    if (prior.locked !== current.locked) {
      mods.push({
        operation: 'replace',
        type: 'pwdAccountLockedTime',
        values: prior.locked === null ? [] : [prior.locked],
      });
    }
    if (prior.validUntil !== current.validUntil) {
      const values = prior.validUntil === null ? [] : [generalizedTime(new Date(prior.validUntil))];
      mods.push({ operation: 'replace', type: 'pwdEndTime', values });
    }
    if (mods.length > 0) await ldap.modify(account, mods);
    for (const g of ctx.groups) {
      const was = prior.groups.find((p) => p.group.toLowerCase() === g.group.toLowerCase());
      if (was !== undefined) await setMember(ldap, g, account, was.member);
    }
  }
  if (journal !== undefined) {
    const overlap =
      journal.record.overlap === undefined ? {} : { overlap: { ...journal.record.overlap, done: true } };
    await swapRecord(ldap, journal, {
      ...journal.record,
      ...overlap,
      state: 'rolled_back',
      rolledBackAt: ctx.now.toISOString(),
      restoredPrior: prior,
    });
  }
}

/**
 * Puts back exactly the prior set of password values. ppolicy accepts one new value per request,
 * so the first value replaces the set and each further one is added by its own modify.
 */
async function restorePasswords(
  ldap: Ldap,
  ctx: RestoreContext,
  prior: Prior,
  current: AccountState,
  kept: readonly string[],
): Promise<void> {
  const wanted = prior.credentials.map((c) => c.fingerprint);
  const now = credentialFingerprints(current, ctx.key);
  if (wanted.length === now.length && wanted.every((f) => now.includes(f))) return;
  if (wanted.length === 0) {
    await ldap.modify(current.dn, [
      { operation: 'delete', type: 'userPassword', values: current.passwords },
      ...(current.securityObject
        ? [{ operation: 'delete', type: 'objectClass', values: ['simpleSecurityObject'] } as const]
        : []),
    ]);
    return;
  }
  const known = [...current.passwords, ...kept.map((b) => Buffer.from(b, 'base64'))];
  const values = wanted.map((f) => known.find((v) => fingerprint(ctx.key, v) === f));
  if (values.some((v) => v === undefined)) {
    throw new CustosError(
      'TARGET_STATE_MISMATCH',
      'a prior password value is not in the journal of this step',
    );
  }
  const [first, ...rest] = values as Buffer[];
  await ldap.modify(current.dn, [
    ...(current.securityObject
      ? []
      : [{ operation: 'add', type: 'objectClass', values: ['simpleSecurityObject'] } as const]),
    { operation: 'replace', type: 'userPassword', values: [first!] },
  ]);
  for (const value of rest)
    await ldap.modify(current.dn, [{ operation: 'add', type: 'userPassword', values: [value] }]);
}
