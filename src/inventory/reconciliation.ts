/**
 * A system's reconciliation status: when its inventory was last checked against the target and how
 * many critical findings that left open. The run engine's source-of-truth gate (src/runs/gate.ts)
 * reads both; this is their one setter. The row and its `inventory.system_reconciled` record commit
 * in one transaction, and a refused input writes neither.
 *
 * Input is untrusted (it may come from an API body or a reconciler on another host). A time in the
 * future is refused: it would hold the gate open past the workflow's maximum reconciliation age.
 * A result older than the recorded one is refused too, so a late report never rolls the status back.
 */
import crypto from 'node:crypto';
import { CustosError } from '../core/errors.js';
import type { Actor } from '../ledger/record.js';
import type { BatchDeps } from './batch.js';
import type { System } from './model.js';
import { actorFor } from './principal-id.js';
import { Problems } from './problems.js';
import { readPrincipals } from './read-principals.js';
import { readSystems } from './read-entities.js';
import { readDate, readString } from './validate-common.js';

export interface ReconciliationInput {
  /** When the target was compared with the inventory: a Date or RFC 3339 text with a zone. */
  readonly at: Date | string;
  /** Critical findings the reconciliation left open (a whole number, 0 or more). */
  readonly openCriticalFindings: number;
  /** Who reports it: a person or a service that exists. */
  readonly actor: string;
  /** A short note for the record (no secrets: records are exported to auditors). */
  readonly summary?: string;
  readonly correlationId?: string;
}

/** How far ahead of this host's clock a reported time may be (clock skew between hosts). */
export const MAX_CLOCK_SKEW_MS = 5 * 60 * 1000;

export async function recordReconciliation(
  deps: BatchDeps,
  systemId: string,
  input: ReconciliationInput,
): Promise<System> {
  const { at, findings, summary } = validate(input, deps.now());
  const correlationId = input.correlationId ?? `reconciliation-${crypto.randomUUID()}`;
  await deps.ledger.transact(async (tx) => {
    const actor = await actingPrincipal(tx, input.actor);
    const before = (await readSystems(tx, [systemId])).get(systemId);
    if (before === undefined) throw new CustosError('NOT_FOUND', `system ${systemId} does not exist`);
    const previous = before.lastReconciledAt;
    if (previous !== null && Date.parse(previous) > Date.parse(at)) {
      throw invalid('at', `system ${systemId} has a more recent reconciliation`);
    }
    // Only if unchanged since read: of two concurrent reports, the later commit cannot silently win.
    const changed = await tx.run(
      `UPDATE inventory_systems SET last_reconciled_at = ?, open_critical_findings = ?, updated_at = ?
        WHERE id = ? AND ${previous === null ? 'last_reconciled_at IS NULL' : 'last_reconciled_at = ?'}`,
      [at, findings, deps.now().toISOString(), systemId, ...(previous === null ? [] : [previous])],
    );
    if (changed !== 1) {
      throw new CustosError('STORE_CONFLICT', `system ${systemId} was reconciled concurrently`, {
        retryable: true,
      });
    }
    await tx.append({
      type: 'inventory.system_reconciled',
      correlationId,
      actor,
      subject: { kind: 'system', id: systemId },
      payload: {
        at,
        openCriticalFindings: findings,
        previous: { at: previous, openCriticalFindings: before.openCriticalFindings },
        ...(summary === undefined ? {} : { summary }),
      },
    });
  });
  const system = (await readSystems(deps.ledger.store.read, [systemId])).get(systemId);
  if (system === undefined) throw new CustosError('NOT_FOUND', `system ${systemId} does not exist`);
  return system;
}

function validate(
  input: ReconciliationInput,
  now: Date,
): { at: string; findings: number; summary: string | undefined } {
  const findings = input.openCriticalFindings;
  if (!Number.isSafeInteger(findings) || findings < 0) {
    throw invalid('openCriticalFindings', 'open critical findings must be a whole number, 0 or more');
  }
  const p = new Problems();
  const at =
    input.at instanceof Date
      ? Number.isNaN(input.at.getTime())
        ? undefined
        : input.at.toISOString()
      : readDate(input.at, 'at', p);
  if (at === undefined || !p.empty) throw invalid('at', 'at must be an RFC 3339 date-time with a zone');
  if (Date.parse(at) > now.getTime() + MAX_CLOCK_SKEW_MS) {
    throw invalid('at', 'a reconciliation cannot be reported from the future');
  }
  const summary = input.summary === undefined ? undefined : readString(input.summary, 'summary', p);
  if (!p.empty) throw invalid('summary', 'summary must be a non-empty text of at most 1000 characters');
  return { at, findings, summary };
}

/** Only a known person or service reports; a group never acts. */
async function actingPrincipal(sql: Parameters<typeof readPrincipals>[0], id: string): Promise<Actor> {
  const actor = actorFor(id);
  if (!(await readPrincipals(sql, [id])).has(id)) {
    throw new CustosError('PRINCIPAL_UNKNOWN', `the acting principal ${id} does not exist`, {
      details: { field: 'actor' },
    });
  }
  return actor;
}

function invalid(field: string, message: string): CustosError {
  return new CustosError('INPUT_INVALID', message, { details: { field } });
}
