/** What every scene works with, and the check that keeps the narration honest. */
import type { LedgerRecord } from '../../ledger/record.js';
import { CustosError } from '../../core/errors.js';
import type { Cast } from './cast.js';
import type { Narrator } from './narrator.js';

export interface SceneContext {
  readonly cast: Cast;
  readonly n: Narrator;
  readonly bundleHash: string;
}

/**
 * A scene says only what happened: when the outcome is not the one the narration is about to
 * claim, the quickstart stops with the scene number and what it saw (exit 3).
 */
export function expectThat(scene: number, ok: boolean, saw: string, reason?: string | null): void {
  if (ok) return;
  throw new CustosError(
    'INTERNAL_ERROR',
    `quickstart scene ${scene} did not go as described: ${saw}${reason === undefined || reason === null ? '' : ` (${reason})`}`,
  );
}

/** A run's ledger records, read through the API as `principal`. */
export async function recordsOf(
  cast: Cast,
  principal: string,
  runId: string,
): Promise<readonly LedgerRecord[]> {
  return (await cast.call(principal, 'getRun', { id: runId })).records;
}
