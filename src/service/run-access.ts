/**
 * Who may act on a run beyond the role table: the requester of the run; an admin; and an owner —
 * of the run's identity, or of its workflow (owners and escalation path), who are the people its
 * pause alert notifies. A run that issues a credential is executed only by its requester, since
 * the secret goes to whoever executes it (there is no sealed delivery to anyone else).
 */
import crypto from 'node:crypto';
import { CustosError } from '../core/errors.js';
import type { Run } from '../runs/index.js';
import { forbidden, hasRole, names, type Acting } from './authorize.js';
import type { ServiceContext } from './context.js';
import { requestedIdentities } from '../workflows/index.js';
import type { OperationName } from './operations.js';

/** Actions whose run hands a new secret to the caller that executes it. */
const ISSUES_CREDENTIAL: ReadonlySet<string> = new Set(['create', 'rotate']);

export function issuesCredential(run: Run): boolean {
  return ISSUES_CREDENTIAL.has(run.request.action);
}

export async function checkRunSteward(
  ctx: ServiceContext,
  acting: Acting,
  run: Run,
  operation: OperationName,
): Promise<void> {
  if (run.requester === acting.id || hasRole(acting, 'admin')) return;
  if (hasRole(acting, 'owner') && (await ownsRun(ctx, acting, run))) return;
  throw forbidden(operation, `${acting.id} is neither the requester, an admin, nor an owner of this run`);
}

/** Executing (advance, resume) a credential-issuing run is for its requester alone. */
export function checkExecutor(acting: Acting, run: Run, operation: OperationName): void {
  if (issuesCredential(run) && run.requester !== acting.id) {
    throw forbidden(
      operation,
      'this run issues a credential, which goes to whoever executes it: only its requester may (roll it back or abort it instead)',
    );
  }
}

async function ownsRun(ctx: ServiceContext, acting: Acting, run: Run): Promise<boolean> {
  // An owner of any identity the run acts on (a fan-out acts on several).
  for (const id of requestedIdentities(run.request)) {
    const identity = await ctx.custos.inventory.getIdentity(id);
    if (identity !== undefined && Object.values(identity.owners).some((o) => names(acting, o))) return true;
  }
  if (run.bundleHash === null || run.workflow === null) return false;
  const workflow = (await ctx.custos.bundles.load(run.bundleHash)).workflows.get(run.workflow);
  if (workflow === undefined) return false;
  return [...Object.values(workflow.owners), ...workflow.escalation].some((p) => names(acting, p));
}

/** Opaque cursor over (created_at, id), the order runs are listed in. */
export function encodeRunCursor(createdAt: string, id: string): string {
  return Buffer.from(JSON.stringify([createdAt, id]), 'utf8').toString('base64url');
}

export function decodeRunCursor(cursor: string): readonly [string, string] {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(value) && value.length === 2 && value.every((v) => typeof v === 'string')) {
      return [value[0] as string, value[1] as string];
    }
  } catch {
    // fall through: not one of our cursors
  }
  throw new CustosError('INPUT_INVALID', 'after is not a cursor from a previous page', {
    details: { field: 'after' },
  });
}

export function autoIdempotencyKey(): string {
  return `auto-${crypto.randomUUID()}`;
}
