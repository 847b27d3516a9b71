/**
 * Shared pieces of the service's schemas (zod 4). The same schemas validate every input of the
 * service — from the local CLI or from an HTTP body — and generate the OpenAPI document, so what
 * is documented is exactly what is accepted. Shapes only: deep checks (owners, secret references,
 * policy) stay in the modules that own them and keep their own error codes.
 */
import { z } from 'zod';
import { ROLES } from '../inventory/index.js';
import { ENTITY_ID } from '../inventory/principal-id.js';

/** As src/inventory/principal-id.ts: `person:<name>`, `group:<name>` or `service:<name>`. */
export const PrincipalId = z
  .string()
  .regex(/^(person|group|service):([A-Za-z0-9][A-Za-z0-9._@-]{0,126})$/)
  .describe('a typed principal id: person:<name>, group:<name> or service:<name>');

/** Ids of systems and identities. */
export const EntityId = z
  .string()
  .regex(ENTITY_ID)
  .describe('letters, digits, ".", "_" or "-" (at most 128)');

export const Role = z.enum(ROLES);

/** An opaque, printable identifier from a previous answer (run ids, grant ids, token ids, …). */
export const Opaque = z.string().regex(/^[\x21-\x7e]{1,200}$/);

export const IdInput = z.strictObject({ id: Opaque });
export const EntityIdInput = z.strictObject({ id: EntityId });
export const PrincipalIdInput = z.strictObject({ id: PrincipalId });
export const Empty = z.strictObject({});

/** Cursor pagination: pass a page's `next` as `after` to read the following page. */
export const PageInput = {
  after: Opaque.optional().describe("the previous page's `next`"),
  limit: z.number().int().min(1).max(1000).optional().describe('page size, 1..1000 (default 100)'),
};

export function pageOf<T extends z.ZodType>(item: T) {
  return z.object({
    items: z.array(item),
    next: Opaque.optional().describe('absent on the last page'),
  });
}

export function listOf<T extends z.ZodType>(item: T) {
  return z.object({ items: z.array(item) });
}

export const Timestamp = z.string().describe('RFC 3339 UTC');
export const Json = z.json();
export const JsonObject = z.record(z.string(), z.json());
