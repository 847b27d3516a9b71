/** How runs, grants, alerts and ledger records print: aligned tables for people, JSON for scripts. */
import type { LedgerRecord } from '../ledger/record.js';
import type { Run } from '../runs/index.js';
import type { Cell } from './commands/inventory-format.js';

export const RUN_COLUMNS = ['ID', 'STATE', 'ACTION', 'TARGET', 'REQUESTER', 'RISK', 'ROUTE'];

/** What a run acts on: inventory identities, or `system/new-name` for a create. */
export function runTarget(run: Run): string {
  const r = run.request.resource;
  if ('new' in r) return `${r.new.system}/${r.new.name} (new)`;
  return 'identity' in r ? r.identity : r.identities.join(', ');
}

export function runRow(run: Run): Cell[] {
  return [
    run.id,
    run.state,
    run.request.action,
    runTarget(run),
    run.requester,
    run.decision?.riskTier,
    run.decision?.route?.name,
  ];
}

/** `2 of group:dba and 1 of group:security` */
export function approvalsNeeded(run: Run): string {
  const route = run.decision?.route;
  if (route === undefined || route.requirements.length === 0) return route?.mode === 'auto' ? 'none' : '-';
  return route.requirements.map((r) => `${r.count} of ${r.group}`).join(route.ordered ? ' then ' : ' and ');
}

export function runRows(run: Run): [string, string][] {
  const d = run.decision;
  return [
    ['id', run.id],
    ['state', run.reason === null ? run.state : `${run.state} (${run.reason})`],
    ['action', `${run.request.action} ${runTarget(run)}`],
    ['requester', run.requester],
    ['justification', run.justification],
    ['workflow', run.workflow ?? '-'],
    ['decision', d === null ? '-' : `${d.allowed ? 'allow' : 'deny'}, risk ${d.riskTier ?? '-'}`],
    ['policies', d?.determiningPolicies.join(', ') || '-'],
    ['approvals', approvalsNeeded(run)],
    ['bundle', run.bundleHash ?? '-'],
    ['digest', run.digest ?? '-'],
    ['executor', run.executor ?? '-'],
    ['attempts', String(run.attempts)],
    ...(run.origin === null
      ? []
      : [['origin', `${run.origin.kind} ${run.origin.grant} (${run.origin.run})`] as [string, string]]),
  ];
}

/** What a listing shows of a record. */
export type RecordLine = Pick<LedgerRecord, 'index' | 'time' | 'type' | 'actor'>;

/** One line per record: `#index  time  type  actor`. */
export function recordLines(records: readonly RecordLine[]): string {
  return records
    .map((r) => `#${String(r.index).padEnd(6)} ${r.time}  ${r.type.padEnd(26)} ${r.actor.id}\n`)
    .join('');
}

/** `#41–#47` or `#41, #44` — record indexes for a narration or a summary. */
export function indexRange(records: readonly Pick<LedgerRecord, 'index'>[]): string {
  const idx = records.map((r) => r.index);
  if (idx.length === 0) return '-';
  const [first, last] = [Math.min(...idx), Math.max(...idx)];
  return idx.length === last - first + 1 ? `#${first}–#${last}` : idx.map((i) => `#${i}`).join(', ');
}
