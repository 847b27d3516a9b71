/**
 * Verification after a rollback: the user as it is now, in the canonical form of a prior state,
 * compared field by field with the prior state the rollback restored (kept in the step's journal
 * entry, fingerprints only) — not merely the journal's rolled-back mark.
 */
import type { FingerprintKey } from '../../ledger/secrets.js';
import type { AclUser } from './redis-acl.js';
import type { JournalEntry, ManagedRecord } from './redis-journal.js';
import { parsePrior, priorOf, type Prior } from './redis-prior.js';

type Check = (name: string, ok: boolean, detail: string) => void;

const FIELDS = [
  'enabled',
  'flags',
  'credentials',
  'overlaps',
  'keys',
  'channels',
  'commands',
  'selectors',
] as const;

export function restoredChecks(
  entry: JournalEntry,
  current: AclUser | undefined,
  record: ManagedRecord | undefined,
  key: FingerprintKey,
  check: Check,
): void {
  check('rolled back', true, `rolled back at ${entry.rolledBackAt ?? 'an unknown time'}`);
  const prior = parsePrior(entry.restoredPrior);
  if (prior === undefined) {
    check('prior state restored', false, 'the prior state kept by the rollback is malformed');
    return;
  }
  const now = priorOf(current, record, key);
  check(
    'exists as before',
    now.exists === prior.exists,
    `${now.exists ? 'exists' : 'absent'}, was ${prior.exists ? 'present' : 'absent'}`,
  );
  if (!prior.exists || !now.exists) return;
  for (const field of FIELDS) {
    const same = JSON.stringify(now[field]) === JSON.stringify(prior[field]);
    check(`${field} restored`, same, same ? 'as before' : describe(field, now, prior));
  }
}

/** Says how a field differs without echoing password fingerprints. */
function describe(field: (typeof FIELDS)[number], now: Prior, prior: Prior): string {
  if (field === 'credentials' || field === 'overlaps')
    return `${now[field].length} now, ${prior[field].length} before`;
  return `${JSON.stringify(now[field]).slice(0, 200)}, was ${JSON.stringify(prior[field]).slice(0, 200)}`;
}
