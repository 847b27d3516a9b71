/** Requests and runs, approvals, and exception and break-glass grants, over the run engine. */
import { CustosError } from '../core/errors.js';
import type { Run } from '../runs/index.js';
import type { PlainRequest } from '../workflows/index.js';
import { forbidden, hasRole, names, type Acting } from './authorize.js';
import { compact } from './compact.js';
import type { Handlers, ServiceContext } from './context.js';
import type { ParsedInputOf } from './operations.js';
import {
  autoIdempotencyKey,
  checkExecutor,
  checkRunSteward,
  decodeRunCursor,
  encodeRunCursor,
} from './run-access.js';

type RunOps =
  | 'fileRequest'
  | 'listRuns'
  | 'getRun'
  | 'approveRun'
  | 'denyRun'
  | 'advanceRun'
  | 'resumeRun'
  | 'rollbackRun'
  | 'abortRun'
  | 'listGrants'
  | 'getGrant'
  | 'reviewBreakGlass';

export const runHandlers: Handlers<RunOps> = {
  fileRequest: async (ctx, acting, input) => {
    const request = await checkFiler(ctx, acting, input);
    const engine = await ctx.custos.runs();
    // A new run is decided at once (and an automatic one executed, its secrets to this caller).
    return engine.submit({
      request,
      requester: acting.id,
      justification: input.justification,
      idempotencyKey: input.idempotencyKey ?? autoIdempotencyKey(),
    });
  },

  listRuns: (ctx, _a, input) => listRuns(ctx, input),
  getRun: async (ctx, _a, { id }) => {
    const run = await (await ctx.custos.runs()).get(id);
    return { run, records: await ctx.index.records(run.id) };
  },

  approveRun: (ctx, acting, input) => decide(ctx, acting, input, 'approveRun'),
  denyRun: (ctx, acting, input) => decide(ctx, acting, input, 'denyRun'),

  advanceRun: async (ctx, acting, { id }) => {
    const engine = await ctx.custos.runs();
    const run = await engine.get(id);
    if (run.requester !== acting.id && !hasRole(acting, 'admin')) {
      throw forbidden('advanceRun', 'only its requester or an admin advances a run');
    }
    checkExecutor(acting, run, 'advanceRun');
    return engine.advance(id);
  },
  resumeRun: async (ctx, acting, { id }) => {
    const engine = await ctx.custos.runs();
    const run = await engine.get(id);
    await checkRunSteward(ctx, acting, run, 'resumeRun');
    checkExecutor(acting, run, 'resumeRun');
    return engine.resume(id, acting.id);
  },
  rollbackRun: async (ctx, acting, { id }) => {
    const engine = await ctx.custos.runs();
    await checkRunSteward(ctx, acting, await engine.get(id), 'rollbackRun');
    return engine.rollback(id, acting.id);
  },
  abortRun: async (ctx, acting, { id, reason }) => {
    const engine = await ctx.custos.runs();
    await checkRunSteward(ctx, acting, await engine.get(id), 'abortRun');
    return engine.abort(id, acting.id, reason);
  },

  listGrants: async (ctx, _a, filter) => ({ items: await (await ctx.custos.runs()).grants(compact(filter)) }),
  getGrant: async (ctx, _a, { id }) => (await ctx.custos.runs()).grant(id),
  reviewBreakGlass: async (ctx, acting, { id, verdict, rationale }) =>
    (await ctx.custos.runs()).reviewBreakGlass(id, acting.id, verdict, rationale),
};

/**
 * The requester is the caller, always: a request naming someone else is refused (policy decides on
 * the named principal's groups). Requesters and admins file anything; an owner files exceptions
 * for identities they own.
 */
async function checkFiler(
  ctx: ServiceContext,
  acting: Acting,
  { request, justification }: ParsedInputOf<'fileRequest'>,
): Promise<PlainRequest> {
  if (request.principal !== undefined && request.principal !== acting.id) {
    throw forbidden('fileRequest', 'a request is filed in the name of its caller only');
  }
  const plain = compact({
    ...request,
    principal: acting.id,
    context: withJustification(request.context, justification),
  }) as PlainRequest;
  if (hasRole(acting, 'requester', 'admin')) return plain;
  if (request.action === 'exception' && 'identity' in request.resource) {
    const identity = await ctx.custos.inventory.getIdentity(request.resource.identity);
    if (identity !== undefined && Object.values(identity.owners).some((o) => names(acting, o))) return plain;
  }
  throw forbidden('fileRequest', 'an owner files only exceptions for identities they own');
}

/**
 * Policies read the justification from the decision's context (a guardrail forbids privileged
 * changes without one): the request's justification is put there unless the context has its own.
 */
function withJustification(
  context: Readonly<Record<string, unknown>> | undefined,
  justification: string,
): Record<string, unknown> {
  return context !== undefined && 'justification' in context ? { ...context } : { ...context, justification };
}

/**
 * A signed approval or denial, submitted by the person who signed it. The engine verifies the
 * signature and enforces separation of duties; the requester is refused here too, explicitly,
 * whatever other roles (admin included) they hold.
 */
async function decide(
  ctx: ServiceContext,
  acting: Acting,
  { id, approval }: ParsedInputOf<'approveRun'>,
  operation: 'approveRun' | 'denyRun',
): Promise<Run> {
  const expected = operation === 'approveRun' ? 'approve' : 'deny';
  if (approval.decision !== expected) {
    throw new CustosError('INPUT_INVALID', `approval.decision must be ${expected} here`, {
      details: { field: 'approval.decision' },
    });
  }
  if (approval.run_id !== id) {
    throw new CustosError('INPUT_INVALID', 'the approval was signed for another run', {
      details: { field: 'approval.run_id' },
    });
  }
  if (approval.principal !== acting.id) throw forbidden(operation, 'submit only an approval you signed');
  const engine = await ctx.custos.runs();
  const run = await engine.get(id);
  if (run.requester === acting.id) {
    throw new CustosError('SOD_VIOLATION', 'the requester of a run cannot approve or deny it', {
      details: { reason: 'requester' },
    });
  }
  return engine.approve(id, approval);
}

const MAX_PAGE = 100;

/**
 * RunEngine.list has neither a requester filter nor pages: ids are paged here from the runs table
 * (read-only, in the engine's own order), then each run is read through the engine.
 */
async function listRuns(ctx: ServiceContext, input: ParsedInputOf<'listRuns'>) {
  const where: string[] = [];
  const params: string[] = [];
  if (input.state !== undefined) {
    where.push('state = ?');
    params.push(input.state);
  }
  if (input.requester !== undefined) {
    where.push('requester = ?');
    params.push(input.requester);
  }
  if (input.after !== undefined) {
    const [createdAt, id] = decodeRunCursor(input.after);
    where.push('(created_at > ? OR (created_at = ? AND id > ?))');
    params.push(createdAt, createdAt, id);
  }
  const limit = input.limit ?? MAX_PAGE;
  const rows = await ctx.custos.store.read.query<{ id: string; created_at: string }>(
    `SELECT id, created_at FROM runs${where.length > 0 ? ` WHERE ${where.join(' AND ')}` : ''}
     ORDER BY created_at, id LIMIT ?`,
    [...params, limit + 1],
  );
  const engine = await ctx.custos.runs();
  const page = rows.slice(0, limit);
  const items = [];
  for (const row of page) items.push(await engine.get(row.id));
  const last = page.at(-1);
  return rows.length > limit && last !== undefined
    ? { items, next: encodeRunCursor(last.created_at, last.id) }
    : { items };
}
