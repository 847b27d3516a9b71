/** How `custos systems|identities|principals` print: aligned tables for people, JSON for scripts. */
import type { Identity, PlanItem, Principal, System } from '../../inventory/index.js';
import type { CliIo } from '../io.js';

export type Cell = string | number | null | undefined;

/** A header row and aligned columns. */
export function printColumns(io: CliIo, header: readonly string[], rows: readonly (readonly Cell[])[]): void {
  const text = [header, ...rows].map((r) =>
    r.map((c) => (c === null || c === undefined || c === '' ? '-' : String(c))),
  );
  const widths = header.map((_h, i) => Math.max(...text.map((r) => r[i]!.length)));
  io.out(
    text
      .map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ') + '\n')
      .join(''),
  );
}

export const SYSTEM_COLUMNS = ['ID', 'TYPE', 'ENV', 'OWNER', 'LAST RECONCILED', 'CRITICAL'];
export function systemRow(s: System): Cell[] {
  return [s.id, s.type, s.environment, s.owner, s.lastReconciledAt, s.openCriticalFindings];
}

export const IDENTITY_COLUMNS = ['ID', 'KIND', 'SYSTEM', 'EXTERNAL ID', 'STATE', 'RISK', 'OWNERS', 'EXPIRES'];
export function identityRow(i: Identity): Cell[] {
  const owners = Object.keys(i.owners).length;
  return [i.id, i.kind, i.system, i.externalId, i.state, i.riskTier, `${owners}/3`, nextExpiry(i)];
}

export const PRINCIPAL_COLUMNS = ['ID', 'KIND', 'ROLES', 'GROUPS / MEMBERS'];
export function principalRow(p: Principal): Cell[] {
  return [p.id, p.kind, p.roles.join(','), (p.kind === 'group' ? p.members : p.groups).join(',')];
}

/** The earliest credential expiry, the one that matters first. */
function nextExpiry(i: Identity): string | undefined {
  return i.credentials
    .map((c) => c.expiresAt)
    .filter((e): e is string => e !== undefined)
    .sort()[0];
}

/** `key  value` rows of one entity; nested values as compact JSON. */
export function entityRows(entity: object): [string, string][] {
  return Object.entries(entity).map(([k, v]) => [
    k,
    v === null ? '-' : typeof v === 'object' ? JSON.stringify(v) : String(v as string | number | boolean),
  ]);
}

export function planLine(item: PlanItem): string {
  const changed = item.action === 'update' ? ` (${item.changed.join(', ')})` : '';
  return `${item.action.padEnd(9)} ${item.kind.padEnd(9)} ${item.id}${changed}\n`;
}
