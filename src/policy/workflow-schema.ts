/**
 * The workflow file (workflows/*.yaml), strict: an unknown field anywhere is a problem. Semantic
 * rules that span fields (rollback for every governed action, timings) live in workflow-check.ts.
 */
import { z } from 'zod';
import { DURATION_HINT, durationSeconds } from './duration.js';
import {
  ACTIONS,
  GROUP_ID,
  IDENTITY_KINDS,
  NAME,
  NIST_AI_RMF_FUNCTIONS,
  NIST_CSF_2_0_SUBCATEGORIES,
  OWASP_NHI_2025,
  PERSON_ID,
  type Action,
} from './vocabulary.js';

const name = z.string().regex(NAME, 'must be a name: letters, digits, ".", "_" or "-"');
const person = z.string().regex(PERSON_ID, 'must be a named person (person:<name>), never a group or inbox');
const group = z.string().regex(GROUP_ID, 'must be a group id (group:<name>)');
const duration = z.string().refine((s) => durationSeconds(s) !== undefined, DURATION_HINT);
const text = z.string().trim().min(1, 'must not be empty');

/** A strict object with one optional entry per action (an unknown action is an unknown field). */
function perAction<T extends z.ZodType>(value: T) {
  const shape = Object.fromEntries(ACTIONS.map((a) => [a, value.optional()])) as Record<
    Action,
    z.ZodOptional<T>
  >;
  return z.strictObject(shape);
}

export const ApprovalRequirementSchema = z.strictObject({
  group,
  count: z.number().int().min(0).max(100),
});

export const RouteSchema = z.discriminatedUnion('mode', [
  z.strictObject({ mode: z.literal('auto') }),
  z.strictObject({
    mode: z.literal('approvals'),
    requirements: z.array(ApprovalRequirementSchema).max(10),
    ordered: z.boolean().default(false),
    expiresAfter: duration,
    remindAfter: duration,
    escalateAfter: duration,
  }),
]);

const RollbackSchema = z.union(
  [
    z.enum(['transactional', 'compensating']),
    z.strictObject({ mode: z.literal('irreversible'), reason: text }),
  ],
  { error: 'must be "transactional", "compensating" or {mode: irreversible, reason: ...}' },
);

const owaspId = z
  .string()
  .refine((s) => s in OWASP_NHI_2025, 'must be an OWASP NHI Top 10 (2025) id: NHI1..NHI10');
const csfId = z
  .string()
  .refine((s) => NIST_CSF_2_0_SUBCATEGORIES.has(s), 'must be a NIST CSF 2.0 subcategory id such as PR.AA-01');

export const WorkflowSchema = z.strictObject({
  name,
  description: text,
  governs: z.strictObject({
    systems: z.array(name).min(1),
    kinds: z.array(z.enum(IDENTITY_KINDS)).min(1),
    actions: z.array(z.enum(ACTIONS)).min(1),
  }),
  owners: z.strictObject({ control: person, business: person, policy: person, platform: person }),
  escalation: z
    .array(person)
    .min(1, 'needs at least one named person')
    .refine((l) => new Set(l).size === l.length, 'names a person twice'),
  routes: z.record(name, RouteSchema).refine((r) => Object.keys(r).length > 0, 'needs at least one route'),
  authority: perAction(z.array(text)),
  verification: z.discriminatedUnion('required', [
    z.strictObject({ required: z.literal(true) }),
    z.strictObject({ required: z.literal(false), reason: text }),
  ]),
  rollback: perAction(RollbackSchema),
  exceptions: z
    .strictObject({
      maxDuration: duration,
      approvers: group,
      compensatingControlRequired: z.boolean(),
      /** The run Custos files when an exception expires without re-approval. */
      remediation: z.enum(['rotate', 'suspend']).optional(),
    })
    .optional(),
  breakGlass: z
    .strictObject({ maxDuration: duration, reviewBy: z.enum(['business', 'policy', 'platform']) })
    .optional(),
  retention: name,
  maxReconciliationAge: duration,
  controls: z
    .strictObject({
      owaspNhi: z.array(owaspId).default([]),
      nistCsf: z.array(csfId).default([]),
      nistAiRmf: z.array(z.enum(NIST_AI_RMF_FUNCTIONS)).default([]),
    })
    .default({ owaspNhi: [], nistCsf: [], nistAiRmf: [] }),
});

export type Workflow = z.infer<typeof WorkflowSchema>;
export type WorkflowRoute = z.infer<typeof RouteSchema>;
export type ApprovalRequirement = z.infer<typeof ApprovalRequirementSchema>;
