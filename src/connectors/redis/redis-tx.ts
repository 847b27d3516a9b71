/**
 * Optimistic transactions on one user: WATCH its Custos record, read, then MULTI/EXEC the change
 * together with the record's rewrite. When another change to the same user (another step, another
 * Custos process, a concurrent attempt of the same step) commits in between, EXEC runs nothing and
 * the whole read-decide-write is tried again on the new state.
 *
 * Every change ends with `ACL SAVE`, inside the EXEC, so the ACL file follows at once. A failed save
 * leaves the change applied in memory and the error retryable: the retry finds the journal entry
 * and saves again.
 */
import { CustosError } from '../../core/errors.js';
import type { AdminSession, Reply } from './redis-admin.js';
import { redact } from './redis-errors.js';
import { recordKey } from './redis-journal.js';

const ATTEMPTS = 5;
export const SAVE = ['ACL', 'SAVE'];

export type Decision<T> = { readonly result: T; readonly commands?: string[][] };

/**
 * Runs `decide` under WATCH of the user's record and EXECs its commands followed by ACL SAVE;
 * returns its result and the replies (none when it decided to change nothing).
 */
export async function onUser<T>(
  session: AdminSession,
  user: string,
  what: string,
  decide: () => Promise<Decision<T>>,
): Promise<{ result: T; replies: Reply[] | undefined }> {
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    await session.call('WATCH', recordKey(user));
    const { result, commands } = await decide();
    if (commands === undefined) {
      await session.call('UNWATCH');
      return { result, replies: undefined };
    }
    const replies = await session.exec([...commands, SAVE]);
    if (replies !== null) return { result, replies };
  }
  throw new CustosError('CONNECTOR_UNAVAILABLE', `Redis user ${user} kept changing during ${what}`, {
    retryable: true,
  });
}

/** The first failed reply among the change itself (all but the final ACL SAVE). */
export function changeFailure(replies: readonly Reply[]): Error | undefined {
  return replies.slice(0, -1).find(([error]) => error !== null)?.[0] ?? undefined;
}

/** Throws when the final ACL SAVE failed: the change is in memory, not yet in the ACL file. */
export function assertSaved(replies: readonly Reply[], what: string): void {
  const error = replies.at(-1)?.[0];
  if (error === null || error === undefined) return;
  throw new CustosError(
    'CONNECTOR_UNAVAILABLE',
    `Redis applied ${what} but ACL SAVE failed (retry saves again): ${redact(error.message)}`,
    { retryable: true, cause: error },
  );
}

/** Saves the ACL file on its own (a repeated step whose first save may have failed). */
export async function save(session: AdminSession, what: string): Promise<void> {
  try {
    await session.call(...SAVE);
  } catch (error) {
    assertSaved([[error instanceof Error ? error : new Error(String(error)), null]], what);
  }
}
