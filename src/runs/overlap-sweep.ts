/**
 * Ends expired rotation-overlap windows. A target that can hold two credentials at once (Redis
 * ACL users, OpenLDAP's multi-valued userPassword) keeps the old one after a rotation with
 * `overlapSeconds`, until the window's end recorded on the target; the connector removes it on its
 * next call for that identity, or here: the host loop (`custos serve`) sweeps every system whose
 * connector can, so a window closes on time even when nothing else touches the identity.
 *
 * The sweep acts with a delegated authority of its own, minted for `end_overlaps` on one system
 * (no run: it carries out what approved rotations already decided), and every sweep that removed
 * a credential is a `target.overlaps_ended` ledger record naming the system and the count.
 */
import crypto from 'node:crypto';
import type { AuthorityIssuer } from '../authority/index.js';
import type { Connector, DelegatedAuthority, TargetSystem } from '../connectors/contract.js';
import type { Inventory, System } from '../inventory/index.js';
import type { Ledger } from '../ledger/ledger.js';
import { targetOf } from './run-steps.js';

/** A connector whose target keeps old credentials through an overlap window. */
export interface OverlapSweeper {
  endOverlaps(system: TargetSystem, authority: DelegatedAuthority): Promise<number>;
}

export function sweepsOverlaps(c: Connector | undefined): c is Connector & OverlapSweeper {
  return typeof (c as Partial<OverlapSweeper> | undefined)?.endOverlaps === 'function';
}

export interface SweepDeps {
  readonly ledger: Ledger;
  readonly inventory: Inventory;
  readonly connectors: ReadonlyMap<string, Connector>;
  readonly authority: AuthorityIssuer;
}

export interface SweepResult {
  readonly system: string;
  readonly removed: number;
  /** The error code when this system could not be swept (it is retried on the next pass). */
  readonly error?: string;
}

const SWEEP_TTL_SECONDS = 60;
export const SWEEP_EXECUTOR = 'executor:custos-overlap-sweep';

/** Sweeps every system whose connector keeps overlaps; one system's failure does not stop the rest. */
export async function sweepOverlaps(deps: SweepDeps): Promise<SweepResult[]> {
  const results: SweepResult[] = [];
  for (const system of await systemsToSweep(deps)) {
    const connector = deps.connectors.get(system.type);
    if (!sweepsOverlaps(connector)) continue;
    const target = targetOf(system);
    try {
      const authority = await deps.authority.mint({
        runId: '*',
        requestDigest: 'sha256:overlap-sweep',
        executor: SWEEP_EXECUTOR,
        grants: [{ action: 'end_overlaps', system: system.id, identity: '*' }],
        ttlSeconds: SWEEP_TTL_SECONDS,
      });
      const removed = await connector.endOverlaps(target, authority);
      if (removed > 0) await record(deps.ledger, system.id, removed);
      results.push({ system: system.id, removed });
    } catch (e) {
      const code =
        typeof (e as { code?: unknown }).code === 'string' ? (e as { code: string }).code : 'INTERNAL';
      results.push({ system: system.id, removed: 0, error: code });
    }
  }
  return results;
}

async function systemsToSweep(deps: SweepDeps): Promise<System[]> {
  const systems: System[] = [];
  let after: string | undefined;
  do {
    const page = await deps.inventory.listSystems(
      after === undefined ? { limit: 1000 } : { after, limit: 1000 },
    );
    systems.push(...page.items.filter((s) => sweepsOverlaps(deps.connectors.get(s.type))));
    after = page.next;
  } while (after !== undefined);
  return systems;
}

async function record(ledger: Ledger, system: string, removed: number): Promise<void> {
  await ledger.append({
    type: 'target.overlaps_ended',
    correlationId: `sweep-${crypto.randomUUID()}`,
    actor: { kind: 'non_human', id: SWEEP_EXECUTOR },
    subject: { kind: 'system', id: system },
    payload: { system, removed },
  });
}
