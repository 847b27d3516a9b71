/**
 * The effect of each action on the issuer's state, run inside the step's transaction. Issuing
 * returns the secret once; only its fingerprint is stored.
 */
import type { JsonValue } from '../../core/canonical-json.js';
import { CustosError } from '../../core/errors.js';
import { fingerprint, type FingerprintKey } from '../../ledger/secrets.js';
import type { IssuedSecret, Step } from '../contract.js';
import { invalidReason } from './token-status.js';
import type { CredentialKind, CredentialRow, IdentityRow, IdentityState, TokenStore } from './token-store.js';
import { newApiKey, newCredentialId, signToken, type TokenSigningKey } from './token-secrets.js';

/**
 * What an effect reads and writes: the store itself (one step, writing as it goes), or a recorder
 * over state read beforehand that keeps the writes for one multi-row flush (token-batch.ts).
 */
export type EffectStore = Pick<
  TokenStore,
  'putIdentity' | 'insertIdentity' | 'credentials' | 'insertCredential' | 'updateCredential'
>;

export interface EffectDeps {
  readonly store: EffectStore;
  readonly fingerprintKey: FingerprintKey;
  readonly signingKey: TokenSigningKey;
  readonly issuer: string;
}

export interface Effect {
  readonly outputs: Record<string, JsonValue>;
  readonly credentialId: string | null;
  readonly secret?: IssuedSecret;
}

/** Short-lived tokens live 15 minutes unless the step says otherwise. */
const DEFAULT_TOKEN_TTL = 900;

/** `identity` is the step's identity as read in this transaction (undefined: absent). */
export async function applyEffect(
  deps: EffectDeps,
  step: Step,
  now: Date,
  identity: IdentityRow | undefined,
): Promise<Effect> {
  const { store } = deps;
  const sys = step.system.id;
  const id = step.identity.id;
  const at = now.toISOString();
  const row = (state: IdentityState): IdentityRow => ({
    system_id: sys,
    identity_id: id,
    external_id: step.identity.externalId,
    state,
  });
  const setState = (state: IdentityState) => store.putIdentity(row(state), at);

  if (step.action === 'create') {
    if (identity !== undefined) throw mismatch(step, `identity ${id} already exists (${identity.state})`);
    // The store's writes one after another: on a connection, one query runs at a time.
    await store.insertIdentity(row('active'), at);
    return issue(deps, step, now);
  }
  if (identity === undefined) throw mismatch(step, `identity ${id} does not exist`);
  if (identity.state === 'retired') throw mismatch(step, `identity ${id} is retired`);
  const live = (await store.credentials(sys, id)).filter(
    (c) => invalidReason(c, identity, now) === undefined,
  );

  switch (step.action) {
    case 'rotate': {
      if (identity.state !== 'active') throw mismatch(step, `identity ${id} is ${identity.state}`);
      const overlap = numberParam(step, 'overlapSeconds') ?? 0;
      const graceUntil = new Date(now.getTime() + overlap * 1000).toISOString();
      const issued = await issue(deps, step, now);
      for (const c of live.filter((c) => c.superseded_at === null)) {
        await store.updateCredential(c.credential_id, {
          superseded_at: at,
          grace_until: graceUntil,
          superseded_by: issued.credentialId,
        });
      }
      return { ...issued, outputs: { ...issued.outputs, overlapUntil: graceUntil } };
    }
    case 'revoke':
    case 'retire':
    case 'expire':
    case 'end_sessions': {
      const targets = step.action === 'end_sessions' ? live.filter((c) => c.kind === 'token') : live;
      const column = step.action === 'expire' ? 'expires_at' : 'revoked_at';
      for (const c of targets) await store.updateCredential(c.credential_id, { [column]: at });
      if (step.action === 'retire') await setState('retired');
      const ended = targets.map((c) => c.credential_id);
      return {
        credentialId: null,
        outputs: { ended, state: step.action === 'retire' ? 'retired' : identity.state },
      };
    }
    case 'suspend':
    case 'enable': {
      const state = step.action === 'suspend' ? 'suspended' : 'active';
      await setState(state);
      return { credentialId: null, outputs: { state } };
    }
    default:
      throw new CustosError('CONNECTOR_REFUSED', `the tokens connector does not support ${step.action}`);
  }
}

async function issue(deps: EffectDeps, step: Step, now: Date): Promise<Effect> {
  const kind = kindOf(step);
  const ttl = numberParam(step, 'ttlSeconds') ?? (kind === 'token' ? DEFAULT_TOKEN_TTL : undefined);
  const expiresAt = ttl === undefined ? undefined : new Date(now.getTime() + ttl * 1000);
  const credentialId = newCredentialId();
  const value =
    kind === 'api_key'
      ? newApiKey()
      : await signToken(deps.signingKey, {
          issuer: deps.issuer,
          identity: step.identity.id,
          runId: step.runId,
          credentialId,
          issuedAt: now,
          expiresAt: expiresAt!,
        });
  const fp = fingerprint(deps.fingerprintKey, value);
  const row: CredentialRow = {
    credential_id: credentialId,
    system_id: step.system.id,
    identity_id: step.identity.id,
    kind,
    fingerprint: fp,
    issued_at: now.toISOString(),
    expires_at: expiresAt?.toISOString() ?? null,
    revoked_at: null,
    superseded_at: null,
    grace_until: null,
    superseded_by: null,
    run_id: step.runId,
    step_id: step.stepId,
  };
  await deps.store.insertCredential(row);
  const exp = row.expires_at;
  return {
    credentialId,
    outputs: { credentialId, kind, fingerprint: fp, expiresAt: exp, state: 'active' },
    secret: { value, fingerprint: fp, ...(exp !== null ? { expiresAt: exp } : {}) },
  };
}

/**
 * The params a step may carry, checked from the step alone (plan and checkStep call it; the effects
 * meet the same refusals). The issuer grants nothing: entitlements are refused, never ignored, so
 * the inventory cannot record privileges a key does not carry.
 */
export function checkParams(step: Step): void {
  if (step.params['entitlements'] !== undefined)
    throw invalid(step, 'the tokens issuer grants no entitlements: params.entitlements is not accepted');
  numberParam(step, 'ttlSeconds');
  numberParam(step, 'overlapSeconds');
  if (step.action === 'create' || step.action === 'rotate') kindOf(step);
}

function kindOf(step: Step): CredentialKind {
  const kind = step.params['kind'] ?? (step.identity.kind === 'token' ? 'token' : 'api_key');
  if (kind !== 'api_key' && kind !== 'token') throw invalid(step, 'params.kind must be api_key or token');
  return kind;
}

function numberParam(step: Step, name: string): number | undefined {
  const value = step.params[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw invalid(step, `params.${name} must be a non-negative number of seconds`);
  }
  return value;
}

function invalid(step: Step, message: string): CustosError {
  return new CustosError('INPUT_INVALID', message, { details: { stepId: step.stepId } });
}

function mismatch(step: Step, message: string): CustosError {
  return new CustosError('TARGET_STATE_MISMATCH', message, { details: { stepId: step.stepId } });
}
