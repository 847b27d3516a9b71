/**
 * The prior state of a user, read before a step to roll it back by compensation: whether it exists,
 * its tags, limits and permissions, and its password only as the fingerprint of its hash — prior
 * states are recorded in the ledger, hashes must not be (the hash itself stays on the broker, in the
 * step's journal entry). Sorted and free of timestamps, so that reading it again after a rollback
 * gives an equal value.
 */
import { z } from 'zod';
import { CustosError } from '../../core/errors.js';
import { fingerprint, type FingerprintKey } from '../../ledger/secrets.js';
import type { PriorState } from '../contract.js';
import type { ManagementApi } from './rmq-http.js';
import { readUser, type UserState } from './rmq-user.js';

export const priorSchema = z.object({
  exists: z.boolean(),
  tags: z.array(z.string()),
  credentials: z.array(z.object({ fingerprint: z.string() })),
  maxConnections: z.number().int().nullable(),
  maxChannels: z.number().int().nullable(),
  permissions: z.array(
    z.object({ vhost: z.string(), configure: z.string(), write: z.string(), read: z.string() }),
  ),
});

export type Prior = z.infer<typeof priorSchema>;

export async function readPriorState(
  api: ManagementApi,
  user: string,
  key: FingerprintKey,
): Promise<PriorState> {
  return priorOf(await readUser(api, user), key);
}

export function priorOf(state: UserState | undefined, key: FingerprintKey): Prior {
  return {
    exists: state !== undefined,
    tags: [...(state?.tags ?? [])],
    credentials: credentialOf(state, key),
    maxConnections: state?.maxConnections ?? null,
    maxChannels: state?.maxChannels ?? null,
    permissions: (state?.permissions ?? []).map((p) => ({ ...p })),
  };
}

/** The password as its fingerprint; none for a missing user or one without a password. */
export function credentialOf(state: UserState | undefined, key: FingerprintKey): { fingerprint: string }[] {
  return state === undefined || state.hash === '' ? [] : [{ fingerprint: fingerprint(key, state.hash) }];
}

export function parsePrior(input: unknown): Prior {
  const parsed = priorSchema.safeParse(input);
  if (!parsed.success) throw new CustosError('INPUT_INVALID', 'prior state is not a rabbitmq prior state');
  return parsed.data;
}
