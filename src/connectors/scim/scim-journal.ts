/**
 * The idempotency journal, kept on the target: a JSON string in the Custos extension of the User
 * (`urn:ietf:params:scim:schemas:extension:custos:2.0:User`, attribute `journal`). SCIM has no
 * transactions across resources, but one PATCH (or POST) of one resource is atomic (RFC 7644
 * §3.5.2: "a PATCH request, regardless of the number of operations, SHALL be treated as atomic"),
 * so each change to the User and its journal entry travel in the same request: a crash leaves both
 * or neither, and a repeated (run, step) finds its entry and answers `already_applied` with the
 * outputs it recorded. Group changes touch other resources: their entry is written first, marked
 * `pending`, and cleared once the groups are as requested (a repeat finishes the work from the
 * groups' state).
 *
 * It also names the Custos system and identity that own the account (Custos changes no other
 * account) and the credential Custos set last (its fingerprint, never the password). Entries keep
 * fingerprints and outputs only, safe to store anywhere; the newest MAX_STEPS are kept.
 */
import { z } from 'zod';
import type { JsonValue } from '../../core/canonical-json.js';
import { CustosError } from '../../core/errors.js';

export const CUSTOS_EXTENSION = 'urn:ietf:params:scim:schemas:extension:custos:2.0:User';
export const JOURNAL_PATH = `${CUSTOS_EXTENSION}:journal`;
const MAX_STEPS = 20;

const entrySchema = z.object({
  run: z.string(),
  step: z.string(),
  action: z.string(),
  at: z.string(),
  outputs: z.record(z.string(), z.unknown()),
  /** Set while the step's group changes are not all made. */
  pending: z.literal(true).optional(),
  rolledBackAt: z.string().optional(),
  /** The prior state a rollback restored (no secrets: fingerprints and flags). */
  restored: z.unknown().optional(),
});

const journalSchema = z.object({
  v: z.literal(1),
  system: z.string(),
  identity: z.string(),
  credential: z.object({ fingerprint: z.string().nullable(), run: z.string(), step: z.string() }).nullable(),
  steps: z.array(entrySchema),
});

export type JournalEntry = Omit<z.infer<typeof entrySchema>, 'outputs'> & {
  readonly outputs: Readonly<Record<string, JsonValue>>;
};
export type Credential = NonNullable<z.infer<typeof journalSchema>['credential']>;
export interface Journal {
  readonly v: 1;
  readonly system: string;
  readonly identity: string;
  readonly credential: Credential | null;
  readonly steps: readonly JournalEntry[];
}

export function newJournal(system: string, identity: string): Journal {
  return { v: 1, system, identity, credential: null, steps: [] };
}

/** The journal of a User resource as the service returned it; undefined when it has none. */
export function journalOf(resource: Readonly<Record<string, unknown>>): Journal | undefined {
  const extension = resource[CUSTOS_EXTENSION];
  const text = (extension as { journal?: unknown } | undefined)?.journal;
  if (text === undefined || text === null) return undefined;
  try {
    const parsed = typeof text === 'string' ? journalSchema.safeParse(JSON.parse(text)) : undefined;
    if (parsed?.success === true) return parsed.data as Journal;
  } catch {
    // fall through: a journal that is not JSON is as malformed as one of the wrong shape
  }
  throw new CustosError('TARGET_STATE_MISMATCH', 'the Custos journal on this SCIM user is malformed');
}

export function findEntry(journal: Journal | undefined, run: string, step: string): JournalEntry | undefined {
  return journal?.steps.find((e) => e.run === run && e.step === step);
}

/** The journal with `entry` in place of the same (run, step), or appended; newest MAX_STEPS kept. */
export function withEntry(journal: Journal, entry: JournalEntry, credential?: Credential): Journal {
  const index = journal.steps.findIndex((e) => e.run === entry.run && e.step === entry.step);
  const steps =
    index < 0 ? [...journal.steps, entry] : journal.steps.map((e, i) => (i === index ? entry : e));
  return {
    ...journal,
    credential: credential ?? journal.credential,
    steps: steps.slice(-MAX_STEPS),
  };
}

/** The PATCH operation that writes the whole journal (replace acts as add when absent, §3.5.2.3). */
export function journalOp(journal: Journal): JsonValue {
  return { op: 'replace', path: JOURNAL_PATH, value: JSON.stringify(journal) };
}

export function journalAttribute(journal: Journal): JsonValue {
  return { journal: JSON.stringify(journal) };
}
