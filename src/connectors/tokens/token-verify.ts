/**
 * Reads a step's effect back. The "real login" of this target is the downstream check itself:
 * the new secret must verify, and credentials the step ended (or superseded past the overlap)
 * must not.
 */
import { fingerprint } from '../../ledger/secrets.js';
import type { Step, VerifyCheck, VerifyResult } from '../contract.js';
import { credentialsOf, identitiesOf, operationsOf } from './token-bulk.js';
import { pairKey } from '../../store/multi-row.js';
import {
  invalidReason,
  verifyPresentedMany,
  type PresentedDeps,
  type PresentedResult,
} from './token-status.js';
import type { CredentialRow, IdentityRow, OperationRow } from './token-store.js';

const EXPECTED_STATE: Partial<Record<Step['action'], string>> = {
  create: 'active',
  rotate: 'active',
  enable: 'active',
  suspend: 'suspended',
  retire: 'retired',
};

/** What verifying a step reads from the issuer (TokenStore.reading). */
export interface StepState {
  readonly op: OperationRow | undefined;
  readonly identity: IdentityRow | undefined;
  readonly creds: readonly CredentialRow[];
}

/**
 * Many steps, each with the secret its apply returned (if any): their state read with one
 * statement per table (TokenStore.reading), and the new secrets' logins checked together. The
 * caller holds the store's connection (inside TokenStore.serial).
 */
export async function verifyMany(
  deps: PresentedDeps,
  items: readonly { readonly step: Step; readonly secret?: string | undefined }[],
): Promise<VerifyResult[]> {
  const { store } = deps;
  const now = deps.now();
  const identities = items.map((i) => [i.step.system.id, i.step.identity.id] as const);
  // The three reads are issued together: the connection sends them back to back.
  const read = await store.reading(async () => {
    const [ops, found, creds] = await Promise.all([
      operationsOf(
        store.conn,
        items.map((i) => [i.step.runId, i.step.stepId] as const),
      ),
      identitiesOf(store.conn, identities),
      credentialsOf(store.conn, identities),
    ]);
    return { ops, identities: found, creds };
  });
  const states = items.map(({ step }): StepState => {
    const key = pairKey(step.system.id, step.identity.id);
    return {
      op: read.ops.get(pairKey(step.runId, step.stepId)),
      identity: read.identities.get(key),
      creds: read.creds.get(key) ?? [],
    };
  });
  const logins = items.map((item, i) => toLogIn(deps, states[i]!, item.secret));
  const wanted = logins.filter((l): l is string => l !== undefined);
  const results = await verifyPresentedMany(deps, wanted);
  const byLogin = new Map(wanted.map((l, i) => [l, results[i]!]));
  return items.map((item, i) => {
    const login = logins[i];
    return checksOf(
      item.step,
      states[i]!,
      now,
      item.secret,
      login === undefined ? undefined : byLogin.get(login),
    );
  });
}

/** The secret to log in with: the one handed over, if it is the credential the step issued. */
function toLogIn(deps: PresentedDeps, state: StepState, secret: string | undefined): string | undefined {
  const { op, creds } = state;
  if (secret === undefined || op === undefined || op.rolled_back_at !== null || op.credential_id === null)
    return undefined;
  const issued = creds.find((c) => c.credential_id === op.credential_id);
  return issued !== undefined && fingerprint(deps.fingerprintKey, secret) === issued.fingerprint
    ? secret
    : undefined;
}

/** The checks of a step's effect against the state read back (pure). */
function checksOf(
  step: Step,
  state: StepState,
  now: Date,
  secret: string | undefined,
  login: PresentedResult | undefined,
): VerifyResult {
  const { op, identity, creds } = state;
  const checks: VerifyCheck[] = [];
  const check = (name: string, ok: boolean, detail: string) => checks.push({ name, ok, detail });
  if (op === undefined) {
    check('applied', false, `no effect recorded for ${step.runId}/${step.stepId}`);
    return { ok: false, checks };
  }
  const status = (id: string | null) => {
    const row = creds.find((c) => c.credential_id === id);
    return row === undefined ? 'unknown' : (invalidReason(row, identity, now) ?? 'valid');
  };
  if (op.rolled_back_at !== null) {
    if (op.credential_id !== null) {
      const s = status(op.credential_id);
      check('issued credential withdrawn', s !== 'valid', `credential ${op.credential_id} is ${s}`);
    }
    check('rolled back', true, `rolled back at ${op.rolled_back_at}`);
    return { ok: checks.every((c) => c.ok), checks };
  }
  const expected = EXPECTED_STATE[step.action];
  if (expected !== undefined) {
    const actual = identity?.state ?? 'absent';
    check('identity state', actual === expected, `expected ${expected}, found ${actual}`);
  }
  if (op.credential_id !== null) {
    const s = status(op.credential_id);
    check('new credential in force', s === 'valid', `credential ${op.credential_id} is ${s}`);
    const issued = creds.find((c) => c.credential_id === op.credential_id);
    if (secret !== undefined && issued !== undefined) {
      // `login` is there exactly when the secret is the issued credential's (toLogIn).
      check(
        'new secret verifies',
        login?.valid === true,
        login !== undefined ? (login.reason ?? 'valid') : 'not the issued secret',
      );
    }
  }
  for (const old of creds.filter((c) => c.superseded_by !== null && c.superseded_by === op.credential_id)) {
    const inOverlap = old.grace_until !== null && now.toISOString() < old.grace_until;
    const s = status(old.credential_id);
    check(
      `old credential ${old.credential_id}`,
      inOverlap || s !== 'valid',
      inOverlap ? `still valid until ${old.grace_until ?? ''} (overlap)` : `is ${s}`,
    );
  }
  const ended = JSON.parse(op.outputs) as { ended?: string[] };
  for (const id of ended.ended ?? []) {
    const s = status(id);
    check(`ended credential ${id}`, s !== 'valid', `is ${s}`);
  }
  return { ok: checks.every((c) => c.ok), checks };
}
