/**
 * The prior state of a user and its restoration (rollback by compensation: Redis has no
 * transactions that span an ACL change and a later undo). The prior state is the whole ACL user as
 * ACL GETUSER describes it, in canonical form, with its passwords and overlapping passwords as
 * fingerprints of their hashes only: prior states travel to the run engine and are recorded.
 * The hashes themselves stay on the target — the current user, or the journal entry of the step
 * (the hashes it replaced) — and are put back only where a fingerprint matches.
 *
 * Restoring is one `ACL SETUSER <user> reset …` (Redis applies all its rules or none), in one
 * MULTI/EXEC with the record, the journal's rolled-back mark and ACL SAVE. A retired user is
 * recreated, with its old passwords: it owned no data, so nothing else is lost.
 */
import { z } from 'zod';
import { CustosError } from '../../core/errors.js';
import { fingerprint, type FingerprintKey } from '../../ledger/secrets.js';
import type { PriorState, Step } from '../contract.js';
import { readAclUser, restoreRules, type AclUser } from './redis-acl.js';
import type { AdminSession } from './redis-admin.js';
import { mismatch, toConnectorError } from './redis-errors.js';
import {
  assertManaged,
  entryCommand,
  readEntry,
  readRecord,
  recordCommands,
  rolledBackCommand,
  type ManagedRecord,
} from './redis-journal.js';
import { assertSaved, changeFailure, onUser } from './redis-tx.js';

const selector = z.object({
  keys: z.array(z.string()),
  channels: z.array(z.string()),
  commands: z.array(z.string()),
});
export const priorSchema = selector.extend({
  exists: z.boolean(),
  enabled: z.boolean().nullable(),
  flags: z.array(z.string()),
  credentials: z.array(z.object({ fingerprint: z.string() })),
  overlaps: z.array(z.object({ fingerprint: z.string(), until: z.string() })),
  selectors: z.array(selector),
});

export type Prior = z.infer<typeof priorSchema>;

const byFingerprint = (a: { fingerprint: string }, b: { fingerprint: string }) =>
  a.fingerprint < b.fingerprint ? -1 : a.fingerprint > b.fingerprint ? 1 : 0;

/** The prior state of `user` as it is now. */
export function priorOf(
  current: AclUser | undefined,
  record: ManagedRecord | undefined,
  key: FingerprintKey,
): Prior {
  if (current === undefined) {
    const none = {
      keys: [],
      channels: [],
      commands: [],
      flags: [],
      credentials: [],
      overlaps: [],
      selectors: [],
    };
    return { exists: false, enabled: null, ...none };
  }
  return {
    exists: true,
    enabled: current.enabled,
    flags: [...current.flags],
    credentials: current.passwords.map((h) => ({ fingerprint: fingerprint(key, h) })).sort(byFingerprint),
    overlaps: (record?.retiring ?? [])
      .map((r) => ({ fingerprint: fingerprint(key, r.hash), until: r.until }))
      .sort(byFingerprint),
    keys: [...current.keys],
    channels: [...current.channels],
    commands: [...current.commands],
    selectors: current.selectors.map((s) => ({
      keys: [...s.keys],
      channels: [...s.channels],
      commands: [...s.commands],
    })),
  };
}

export async function readPriorState(
  session: AdminSession,
  user: string,
  key: FingerprintKey,
): Promise<PriorState> {
  const current = await readAclUser((...argv) => session.call(...argv), user);
  return priorOf(current, await readRecord(session, user), key);
}

export function parsePrior(input: unknown): Prior | undefined {
  const parsed = priorSchema.safeParse(input);
  return parsed.success ? parsed.data : undefined;
}

export async function restorePrior(
  session: AdminSession,
  step: Step,
  user: string,
  input: PriorState,
  ctx: { readonly key: FingerprintKey; readonly now: Date },
): Promise<void> {
  const prior = parsePrior(input);
  if (prior === undefined) throw new CustosError('INPUT_INVALID', 'prior state is not a redis prior state');
  const { replies, result: undo } = await onUser(session, user, 'rollback', async () => {
    const entry = await readEntry(session, step);
    const current = await readAclUser((...argv) => session.call(...argv), user);
    const record = await readRecord(session, user);
    if (current !== undefined) assertManaged(record, step, user);
    else if (prior.exists && entry?.action !== 'retire')
      throw mismatch(`Redis user ${user} was deleted, not by this step`);
    const mark = entry === undefined ? [] : [rolledBackCommand(step, entry, ctx.now, prior)];
    const undo = entry === undefined ? [] : [entryCommand(step, entry)];
    if (!prior.exists) {
      const drop = current === undefined ? [] : [['ACL', 'DELUSER', user]];
      return { result: undo, commands: [...drop, ...recordCommands(user, null, ctx.now), ...mark] };
    }
    // Hashes the user may have had: its own now, and those this step replaced.
    const known = [
      ...(current?.passwords ?? []),
      ...(entry?.priorPasswords ?? []),
      ...(entry?.priorRetiring ?? []).map((r) => r.hash),
    ];
    const hashOf = (fp: string) => {
      const hash = known.find((h) => fingerprint(ctx.key, h) === fp);
      if (hash === undefined)
        throw mismatch(`a prior password of ${user} is neither on the user nor in the journal of this step`);
      return hash;
    };
    const passwords = prior.credentials.map((c) => hashOf(c.fingerprint));
    const retiring = prior.overlaps.map((o) => ({ hash: hashOf(o.fingerprint), until: o.until }));
    const rules = restoreRules({ ...prior, enabled: prior.enabled ?? false, passwords });
    const ends =
      current !== undefined && (current.passwords.some((h) => !passwords.includes(h)) || !prior.enabled);
    const kill = ends ? [['CLIENT', 'KILL', 'USER', user]] : [];
    const rewrite = recordCommands(
      user,
      { system: step.system.id, identity: step.identity.id, retiring },
      ctx.now,
    );
    return { result: undo, commands: [['ACL', 'SETUSER', user, ...rules], ...kill, ...rewrite, ...mark] };
  });
  const failed = changeFailure(replies ?? []);
  if (failed !== undefined) {
    // The rolled-back mark ran with the failed change: put the entry back as it was.
    if (replies?.[0]?.[0] !== null) for (const command of undo) await session.call(...command);
    throw toConnectorError(failed, `rollback of ${user}`);
  }
  assertSaved(replies ?? [], `rollback of ${user}`);
}
