/**
 * Golden decision files (tests/*.yaml): entity fixtures and the cases that use them.
 *
 *   entities:
 *     principals: [{ id: person:alice, groups: [group:dba] }, { id: service:ci-pipeline }]
 *     systems:    [{ id: pg-prod, type: postgres, environment: prod }]
 *     identities: [{ id: payments-app, kind: service_account, system: pg-prod, entitlements: [] }]
 *   cases:
 *     - name: ...
 *       request: { principal, action, resource: {identity: ID} | {new: {name, kind, system}}, context }
 *       expect:  { decision: allow|deny, tier?, route?, policies?: [ids] }
 */
import { z } from 'zod';
import {
  ACTIONS,
  GROUP_ID,
  IDENTITY_KINDS,
  NAME,
  REQUESTER_ID,
  RISK_TIERS,
  SYSTEM_TYPES,
} from './vocabulary.js';

const name = z.string().regex(NAME, 'must be a name: letters, digits, ".", "_" or "-"');
const requester = z.string().regex(REQUESTER_ID, 'must be person:<name> or service:<name>');
const cedarValue = z.json();
const attrs = z.record(z.string(), cedarValue).optional();
const strings = z.array(z.string()).optional();

const PrincipalFixtureSchema = z.strictObject({
  id: requester,
  groups: z.array(z.string().regex(GROUP_ID, 'must be a group id (group:<name>)')).optional(),
  attrs,
});
const SystemFixtureSchema = z.strictObject({
  id: name,
  type: z.enum(SYSTEM_TYPES),
  environment: name,
  attrs,
});
const IdentityShape = {
  kind: z.enum(IDENTITY_KINDS),
  system: name,
  entitlements: strings,
  tags: strings,
  attrs,
};
const IdentityFixtureSchema = z.strictObject({ id: name, ...IdentityShape });
const NewIdentitySchema = z.strictObject({ name, ...IdentityShape });

export const ResourceRefSchema = z.union([
  z.strictObject({ identity: name }),
  z.strictObject({ new: NewIdentitySchema }),
]);

export const GoldenRequestSchema = z.strictObject({
  principal: requester,
  action: z.enum(ACTIONS),
  resource: ResourceRefSchema,
  context: z.record(z.string(), cedarValue).optional(),
});

export const GoldenExpectSchema = z.strictObject({
  decision: z.enum(['allow', 'deny']),
  tier: z.enum(RISK_TIERS).optional(),
  route: name.optional(),
  policies: z.array(z.string()).optional(),
});

export const GoldenFileSchema = z.strictObject({
  entities: z
    .strictObject({
      principals: z.array(PrincipalFixtureSchema).optional(),
      systems: z.array(SystemFixtureSchema).optional(),
      identities: z.array(IdentityFixtureSchema).optional(),
    })
    .optional(),
  cases: z
    .array(
      z.strictObject({
        name: z.string().trim().min(1),
        request: GoldenRequestSchema,
        expect: GoldenExpectSchema,
      }),
    )
    .min(1, 'needs at least one case'),
});

export type GoldenFile = z.infer<typeof GoldenFileSchema>;
export type GoldenRequest = z.infer<typeof GoldenRequestSchema>;
export type GoldenExpect = z.infer<typeof GoldenExpectSchema>;
