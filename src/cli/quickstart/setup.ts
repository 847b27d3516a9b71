/**
 * What the quickstart starts from: the example inventory (examples/inventory.yaml) and workflow
 * bundle (examples/bundle), unchanged but for two things it generates here and says so — pg-prod's
 * connection points at the quickstart's PostgreSQL target (when there is one), and a
 * `service:payments-api` principal stands for the downstream service that checks tokens.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parse as parseYaml, stringify } from 'yaml';
import { CustosError } from '../../core/errors.js';

/** The repository's examples, next to dist/ (the quickstart runs from a checkout). */
export const EXAMPLES = path.resolve(import.meta.dirname, '../../../examples');

export function examplesPresent(): boolean {
  return fs.existsSync(path.join(EXAMPLES, 'inventory.yaml')) && fs.existsSync(path.join(EXAMPLES, 'bundle'));
}

interface InventoryDoc {
  principals: Record<string, unknown>[];
  systems: { id: string; connection?: Record<string, unknown> }[];
  identities: Record<string, unknown>[];
}

export const DOWNSTREAM = 'service:payments-api';

/** The example inventory as YAML, with the quickstart's two changes. */
export function quickstartInventory(
  pgConnection: Readonly<Record<string, string | number>> | undefined,
): string {
  const doc = parseYaml(fs.readFileSync(path.join(EXAMPLES, 'inventory.yaml'), 'utf8')) as InventoryDoc;
  const pg = doc.systems.find((s) => s.id === 'pg-prod');
  if (pg === undefined)
    throw new CustosError('INPUT_INVALID', 'examples/inventory.yaml has no pg-prod system');
  if (pgConnection !== undefined) pg.connection = { ...pgConnection };
  // A downstream service: it holds no role, it may only ask whether a presented token is in force.
  doc.principals.push({ id: DOWNSTREAM, roles: [] });
  return stringify(doc);
}
