/**
 * The source-of-truth gate: automation runs only on a system whose inventory is reconciled.
 * A system with open critical findings, or reconciled longer ago than the workflow allows (or
 * never), fails the gate and the run waits as `unreconciled`. Custos's own token issuer is its own
 * source of truth and is always reconciled.
 */
import type { System } from '../inventory/index.js';

export function gateFailure(
  system: System,
  maxAgeSeconds: number | undefined,
  now: Date,
): string | undefined {
  if (system.type === 'tokens') return undefined;
  if (system.openCriticalFindings > 0)
    return `${system.id} has ${system.openCriticalFindings} open critical finding(s)`;
  if (system.lastReconciledAt === null) return `${system.id} has never been reconciled`;
  const age = (now.getTime() - Date.parse(system.lastReconciledAt)) / 1000;
  if (maxAgeSeconds !== undefined && age > maxAgeSeconds) {
    return `${system.id} was reconciled ${Math.round(age)} s ago; the workflow allows ${maxAgeSeconds} s`;
  }
  return undefined;
}
