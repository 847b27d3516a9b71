/**
 * What Custos keeps on the Redis server itself, under `custos:` (which no managed user may reach,
 * see redis-entitlements.ts):
 *
 * - `custos:journal` (hash): one field per step, `["<system>","<run>","<step>"]`, holding what the
 *   step did — its outputs (fingerprints only), the hashes it replaced and set (for rollback and
 *   verify; hashes, never passwords), the admin connection's client id at apply (sessions with a
 *   lower id were opened before the step), and after a rollback the prior state it restored.
 *   It is written in the same MULTI/EXEC as the ACL change, so the server applies both or neither;
 *   a repeated step finds its entry and answers `already_applied`.
 * - `custos:user:<name>` (hash): the record that marks a user as managed by Custos for one system
 *   and identity, with its passwords that retire at the end of a rotation's overlap window. Every
 *   change to the user rewrites it: a change WATCHes it, so two concurrent changes cannot interleave.
 * - `custos:overlaps` (sorted set): users with an overlap running, scored by its earliest end, for
 *   the sweep (redis-overlap.ts).
 *
 * ACL users persist through `ACL SAVE` (the ACL file); these keys persist with the dataset (RDB or
 * AOF). See docs/connectors/redis.md for what a server without dataset persistence means.
 */
import { z } from 'zod';
import type { JsonValue } from '../../core/canonical-json.js';
import type { Step } from '../contract.js';
import type { AdminSession } from './redis-admin.js';
import { mismatch } from './redis-errors.js';

export const JOURNAL_KEY = 'custos:journal';
export const OVERLAPS_KEY = 'custos:overlaps';

export function recordKey(user: string): string {
  return `custos:user:${user}`;
}

const retiringSchema = z.array(
  z.strictObject({ hash: z.string().regex(/^[0-9a-f]{64}$/), until: z.string() }),
);
export type Retiring = z.infer<typeof retiringSchema>;

export interface ManagedRecord {
  readonly system: string;
  readonly identity: string;
  /** Passwords still valid until the end of an overlap window, then removed by the sweep. */
  readonly retiring: Retiring;
}

const jsonValue: z.ZodType<JsonValue> = z.lazy(() =>
  z.union([
    z.string(),
    z.number(),
    z.boolean(),
    z.null(),
    z.array(jsonValue),
    z.record(z.string(), jsonValue),
  ]),
);

const entrySchema = z.strictObject({
  action: z.string(),
  user: z.string(),
  outputs: z.record(z.string(), jsonValue),
  appliedAt: z.string(),
  clientId: z.number().int(),
  priorPasswords: z.array(z.string()),
  priorRetiring: retiringSchema,
  setHash: z.string().nullable(),
  rolledBackAt: z.string().nullable(),
  restoredPrior: jsonValue.nullable(),
});

export type JournalEntry = z.infer<typeof entrySchema>;

function fieldOf(step: Step): string {
  return JSON.stringify([step.system.id, step.runId, step.stepId]);
}

export async function readEntry(session: AdminSession, step: Step): Promise<JournalEntry | undefined> {
  const text = await session.call('HGET', JOURNAL_KEY, fieldOf(step));
  if (text === null) return undefined;
  const parsed = entrySchema.safeParse(typeof text === 'string' ? parseJson(text) : undefined);
  if (!parsed.success) throw mismatch(`the journal entry of ${step.runId}/${step.stepId} is malformed`);
  return parsed.data;
}

export function entryCommand(step: Step, entry: JournalEntry): string[] {
  return ['HSET', JOURNAL_KEY, fieldOf(step), JSON.stringify(entry)];
}

/** Withdraws an entry whose change did not happen (see redis-apply.ts). */
export function removeEntryCommand(step: Step): string[] {
  return ['HDEL', JOURNAL_KEY, fieldOf(step)];
}

/** Marks the step rolled back to `prior` (a prior state: fingerprints, never hashes). */
export function rolledBackCommand(step: Step, entry: JournalEntry, at: Date, prior: JsonValue): string[] {
  return entryCommand(step, { ...entry, rolledBackAt: at.toISOString(), restoredPrior: prior });
}

export async function readRecord(session: AdminSession, user: string): Promise<ManagedRecord | undefined> {
  const reply = await session.call('HGETALL', recordKey(user));
  const flat = Array.isArray(reply) ? reply.map(String) : [];
  if (flat.length === 0) return undefined;
  const fields = new Map<string, string>();
  for (let i = 0; i + 1 < flat.length; i += 2) fields.set(flat[i]!, flat[i + 1]!);
  const system = fields.get('system');
  const identity = fields.get('identity');
  const retiring = retiringSchema.safeParse(parseJson(fields.get('retiring') ?? '[]'));
  if (system === undefined || identity === undefined || !retiring.success) {
    throw mismatch(`the Custos record of Redis user ${user} is malformed`);
  }
  return { system, identity, retiring: retiring.data };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Writes (or, with null, deletes) the record, and keeps the overlap index in step with it. */
export function recordCommands(user: string, record: ManagedRecord | null, now: Date): string[][] {
  if (record === null)
    return [
      ['DEL', recordKey(user)],
      ['ZREM', OVERLAPS_KEY, user],
    ];
  const fields = [
    'system',
    record.system,
    'identity',
    record.identity,
    'retiring',
    JSON.stringify(record.retiring),
  ];
  const write = ['HSET', recordKey(user), ...fields, 'changed', now.toISOString()];
  const ends = record.retiring.map((r) => Date.parse(r.until));
  const index =
    ends.length === 0
      ? ['ZREM', OVERLAPS_KEY, user]
      : ['ZADD', OVERLAPS_KEY, String(Math.min(...ends)), user];
  return [write, index];
}

/** Custos changes only users it created for this system and identity (never `default`, say). */
export function assertManaged(record: ManagedRecord | undefined, step: Step, user: string): ManagedRecord {
  if (record?.system !== step.system.id || record.identity !== step.identity.id) {
    throw mismatch(`Redis user ${user} is not managed by Custos for ${step.system.id}/${step.identity.id}`);
  }
  return record;
}
