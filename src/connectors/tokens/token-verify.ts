/**
 * Reads a step's effect back. The "real login" of this target is the downstream check itself:
 * the new secret must verify, and credentials the step ended (or superseded past the overlap)
 * must not.
 */
import { fingerprint } from '../../ledger/secrets.js';
import type { Step, VerifyCheck, VerifyResult } from '../contract.js';
import { invalidReason, verifyPresented, type PresentedDeps } from './token-status.js';

const EXPECTED_STATE: Partial<Record<Step['action'], string>> = {
  create: 'active',
  rotate: 'active',
  enable: 'active',
  suspend: 'suspended',
  retire: 'retired',
};

export async function verifyStep(deps: PresentedDeps, step: Step, secret?: string): Promise<VerifyResult> {
  const { store } = deps;
  const now = deps.now();
  // Independent reads of one transaction, issued together (one round trip on a pipelining connection).
  const [op, identity, creds] = await store.transaction(() =>
    Promise.all([
      store.operation(step.runId, step.stepId),
      store.identity(step.system.id, step.identity.id),
      store.credentials(step.system.id, step.identity.id),
    ]),
  );
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
      const matches = fingerprint(deps.fingerprintKey, secret) === issued.fingerprint;
      const login = matches ? await verifyPresented(deps, secret) : undefined;
      check(
        'new secret verifies',
        login?.valid === true,
        matches ? (login?.reason ?? 'valid') : 'not the issued secret',
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
