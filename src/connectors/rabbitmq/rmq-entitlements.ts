/**
 * The entitlements a rabbitmq step may grant or revoke (`params.entitlements`), as requesters and
 * the inventory write them, parsed by a strict grammar. Attacker-controlled: they come from
 * requests. A user holds at most one permission triple per vhost (RabbitMQ's model), so an
 * entitlement names a vhost and its three patterns:
 *
 *   entitlement := "vhost=" vhost " configure=" pattern " write=" pattern " read=" pattern
 *                | "vhost=" vhost                          (revoke only: whatever is held there)
 *   vhost       := "/" | [A-Za-z0-9][A-Za-z0-9._-]{0,63}
 *   pattern     := the safe regular-expression subset of rmq-regex.ts, possibly empty (nothing)
 *
 * Exactly one space between fields, in this order; at most 32 entitlements and one per vhost in a
 * step. Nothing of the text reaches a URL unencoded: vhosts are percent-encoded path segments and
 * patterns travel as JSON string values.
 */
import type { JsonValue } from '../../core/canonical-json.js';
import { CustosError } from '../../core/errors.js';
import { assertVhost } from './rmq-names.js';
import { patternProblem } from './rmq-regex.js';

export interface Permission {
  readonly vhost: string;
  readonly configure: string;
  readonly write: string;
  readonly read: string;
}

/** A full permission triple, or (revoke only) a vhost whose permission is withdrawn whatever it is. */
export type Entitlement = Permission | { readonly vhost: string };

export const MAX_ENTITLEMENTS = 32;

const FULL = /^vhost=(\S+) configure=(\S*) write=(\S*) read=(\S*)$/;
const VHOST_ONLY = /^vhost=(\S+)$/;

export function isPermission(e: Entitlement): e is Permission {
  return 'configure' in e;
}

export function parseEntitlement(text: string, action: string): Entitlement {
  const full = FULL.exec(text);
  if (full !== null) {
    const [, vhost, configure, write, read] = full as unknown as [string, string, string, string, string];
    assertVhost(vhost);
    for (const [field, pattern] of [
      ['configure', configure],
      ['write', write],
      ['read', read],
    ] as const) {
      const problem = patternProblem(pattern);
      if (problem !== undefined) throw invalid(`the ${field} pattern of vhost ${vhost}: ${problem}`);
    }
    return { vhost, configure, write, read };
  }
  const only = VHOST_ONLY.exec(text);
  if (only !== null && action === 'revoke') return { vhost: assertVhost(only[1]!) };
  throw invalid(
    action === 'revoke'
      ? 'an entitlement is "vhost=V configure=P write=P read=P" or "vhost=V"'
      : 'an entitlement is "vhost=V configure=P write=P read=P"',
  );
}

/**
 * The step's entitlements, or undefined when it names none. INPUT_INVALID for anything but an
 * array of well-formed entitlements, one per vhost.
 */
export function entitlementsOf(params: Readonly<Record<string, JsonValue>>, action: string) {
  const value = params['entitlements'];
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) {
    throw invalid('params.entitlements must be an array of strings');
  }
  if (value.length > MAX_ENTITLEMENTS) throw invalid(`at most ${MAX_ENTITLEMENTS} entitlements per step`);
  const parsed = value.map((text) => parseEntitlement(text, action));
  const vhosts = new Set(parsed.map((e) => e.vhost));
  if (vhosts.size !== parsed.length) throw invalid('at most one entitlement per vhost in a step');
  return parsed;
}

/** The canonical text of an entitlement (what outputs and plans show). */
export function describeEntitlement(e: Entitlement): string {
  return isPermission(e)
    ? `vhost=${e.vhost} configure=${e.configure} write=${e.write} read=${e.read}`
    : `vhost=${e.vhost}`;
}

export function samePermission(a: Permission | undefined, b: Permission | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return a.vhost === b.vhost && a.configure === b.configure && a.write === b.write && a.read === b.read;
}

function invalid(message: string): CustosError {
  return new CustosError('INPUT_INVALID', `rabbitmq entitlement: ${message}`);
}
