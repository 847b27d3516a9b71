/**
 * The idempotency journal, kept on the broker as one global runtime parameter per (system, run,
 * step): `custos-step-<sha256 of the key>`, a small JSON value (PUT /api/global-parameters/{name}).
 *
 * Why on the target: the broker has no transactions, so the effect and its record cannot commit
 * together; but the record can be written *before* the effect (`pending`, with the ops about to run
 * and the hash they set) and completed after it (`applied`). A repeat finds `applied` and answers
 * `already_applied` with the recorded outputs; one that finds `pending` knows exactly what the
 * interrupted attempt meant to do and decides from the user's state whether it took effect (the
 * hash it set is on the broker, or not) — so a crash anywhere leaves nothing undecidable.
 * State alone could not tell "this rotation already happened" from "rotate again".
 *
 * The entry keeps the hash the step replaced (`priorHash`), so that rollback can restore the old
 * password without the hash leaving the target (prior states travel to the run engine and are
 * recorded; hashes must not be), and the hash it set, so that verify notices a password reset behind
 * Custos's back. Global parameters are readable only by administrators — the same users who can read
 * every password hash in /api/users — so the journal widens no one's view. After a rollback, the entry
 * keeps the prior state it restored (fingerprints only), for verify to compare against.
 */
import crypto from 'node:crypto';
import { z } from 'zod';
import type { JsonValue } from '../../core/canonical-json.js';
import { CustosError } from '../../core/errors.js';
import type { Step } from '../contract.js';
import type { ManagementApi } from './rmq-http.js';
import type { Op } from './rmq-ops.js';

const json: z.ZodType<JsonValue> = z.lazy(() =>
  z.union([z.null(), z.boolean(), z.number(), z.string(), z.array(json), z.record(z.string(), json)]),
);
const permission = z.object({
  vhost: z.string(),
  configure: z.string(),
  write: z.string(),
  read: z.string(),
});
const limit = z.enum(['max-connections', 'max-channels']);
const op = z.discriminatedUnion('op', [
  z.object({ op: z.literal('put_user'), hash: z.string(), algorithm: z.string(), tags: z.array(z.string()) }),
  z.object({ op: z.literal('delete_user') }),
  z.object({ op: z.literal('put_permission'), permission }),
  z.object({ op: z.literal('delete_permission'), vhost: z.string() }),
  z.object({ op: z.literal('put_limit'), limit, value: z.number().int() }),
  z.object({ op: z.literal('delete_limit'), limit }),
  z.object({ op: z.literal('end_sessions') }),
]);

const entrySchema = z.object({
  v: z.literal(1),
  system: z.string(),
  identity: z.string(),
  user: z.string(),
  runId: z.string(),
  stepId: z.string(),
  action: z.string(),
  status: z.enum(['pending', 'applied', 'rolled_back']),
  ops: z.array(op),
  outputs: z.record(z.string(), json),
  priorHash: z.string().nullable(),
  priorAlgorithm: z.string().nullable(),
  setHash: z.string().nullable(),
  /** The broker's clock (ms) when the step ended the user's sessions. */
  endedAt: z.number().nullable(),
  recordedAt: z.string(),
  restoredPrior: z.record(z.string(), json).nullable(),
});

export type JournalEntry = z.infer<typeof entrySchema> & { readonly ops: Op[] };

export function journalName(step: Step): string {
  const key = JSON.stringify([step.system.id, step.runId, step.stepId]);
  return `custos-step-${crypto.createHash('sha256').update(key).digest('hex').slice(0, 40)}`;
}

export async function readJournal(api: ManagementApi, step: Step): Promise<JournalEntry | undefined> {
  const name = journalName(step);
  const res = await api.request('GET', `/global-parameters/${name}`, undefined, { missingOk: true });
  if (res.status === 404) return undefined;
  const parsed = entrySchema.safeParse((res.body as { value?: unknown } | undefined)?.value);
  if (!parsed.success) {
    throw new CustosError('TARGET_STATE_MISMATCH', `the journal entry ${name} on the broker is malformed`);
  }
  const entry = parsed.data;
  if (entry.system !== step.system.id || entry.runId !== step.runId || entry.stepId !== step.stepId) {
    throw new CustosError('TARGET_STATE_MISMATCH', `the journal entry ${name} belongs to another step`);
  }
  return entry;
}

export async function writeJournal(api: ManagementApi, step: Step, entry: JournalEntry): Promise<void> {
  const name = journalName(step);
  await api.request('PUT', `/global-parameters/${name}`, { name, value: entry as unknown as JsonValue });
}

/** Refuses a (run, step) that the journal records as a different effect. */
export function assertSameEffect(entry: JournalEntry, step: Step, user: string): void {
  if (entry.action !== step.action || entry.user !== user || entry.identity !== step.identity.id) {
    throw new CustosError('CONNECTOR_REFUSED', `step ${step.stepId} was applied as a different effect`);
  }
}
