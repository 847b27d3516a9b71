/**
 * Rollback by compensation: the prior state is the identity's state and the validity columns of
 * its credentials; rolling back revokes what the step issued and restores those columns.
 */
import { z } from 'zod';
import { CustosError } from '../../core/errors.js';
import type { PriorState, Step } from '../contract.js';
import { credentialsOf, identitiesOf } from './token-bulk.js';
import { pairKey } from '../../store/multi-row.js';
import type { CredentialRow, IdentityRow, TokenStore } from './token-store.js';

const priorSchema = z.object({
  exists: z.boolean(),
  state: z.enum(['active', 'suspended', 'retired']).nullable(),
  externalId: z.string().nullable(),
  credentials: z.array(
    z.object({
      credentialId: z.string(),
      expiresAt: z.string().nullable(),
      revokedAt: z.string().nullable(),
      supersededAt: z.string().nullable(),
      graceUntil: z.string().nullable(),
      supersededBy: z.string().nullable(),
    }),
  ),
});

/**
 * The prior states of many steps, read with one statement per table (TokenStore.reading). The caller
 * holds the store's connection (inside TokenStore.serial).
 */
export function readPriorStates(store: TokenStore, steps: readonly Step[]): Promise<PriorState[]> {
  return store.reading(async () => {
    const keys = steps.map((s) => [s.system.id, s.identity.id] as const);
    // Issued together: the connection sends them back to back.
    const [identities, credentials] = await Promise.all([
      identitiesOf(store.conn, keys),
      credentialsOf(store.conn, keys),
    ]);
    return keys.map(([system, id]) => {
      const key = pairKey(system, id);
      return priorOf(identities.get(key), credentials.get(key) ?? []);
    });
  });
}

function priorOf(identity: IdentityRow | undefined, credentials: readonly CredentialRow[]): PriorState {
  return {
    exists: identity !== undefined,
    state: identity?.state ?? null,
    externalId: identity?.external_id ?? null,
    credentials: credentials.map((c) => ({
      credentialId: c.credential_id,
      expiresAt: c.expires_at,
      revokedAt: c.revoked_at,
      supersededAt: c.superseded_at,
      graceUntil: c.grace_until,
      supersededBy: c.superseded_by,
    })),
  };
}

/** Restores `prior` (read before the step applied); safe to repeat. */
export async function restorePrior(
  store: TokenStore,
  step: Step,
  prior: PriorState,
  now: Date,
): Promise<void> {
  const parsed = priorSchema.safeParse(prior);
  if (!parsed.success) throw new CustosError('INPUT_INVALID', 'prior state is not a tokens prior state');
  const p = parsed.data;
  const at = now.toISOString();
  for (const c of await store.credentials(step.system.id, step.identity.id)) {
    const issuedByStep = c.run_id === step.runId && c.step_id === step.stepId;
    if (issuedByStep && c.revoked_at === null) {
      await store.updateCredential(c.credential_id, { revoked_at: at });
    }
  }
  for (const c of p.credentials) {
    await store.updateCredential(c.credentialId, {
      expires_at: c.expiresAt,
      revoked_at: c.revokedAt,
      superseded_at: c.supersededAt,
      grace_until: c.graceUntil,
      superseded_by: c.supersededBy,
    });
  }
  if (!p.exists || p.state === null) await store.deleteIdentity(step.system.id, step.identity.id);
  else {
    const row = {
      system_id: step.system.id,
      identity_id: step.identity.id,
      external_id: p.externalId ?? step.identity.externalId,
      state: p.state,
    };
    await store.putIdentity(row, at);
  }
  await store.markRolledBack(step.runId, step.stepId, at);
}
