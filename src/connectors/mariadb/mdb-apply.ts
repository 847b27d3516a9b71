/**
 * One step under the account's lock: return the journal's outputs if it already took effect;
 * otherwise write its intent, send its statements, end the sessions it invalidated, and record it
 * applied (mdb-journal.ts explains the two writes and what a repeat decides from a pending row).
 */
import type { JsonValue } from '../../core/canonical-json.js';
import { CustosError } from '../../core/errors.js';
import type { FingerprintKey } from '../../ledger/secrets.js';
import type { ApplyResult, Step } from '../contract.js';
import type { AdminPool, Sql } from './mdb-admin.js';
import { readAccount } from './mdb-account.js';
import { ENDS_SESSIONS, checkParams, prepareEffect } from './mdb-effects.js';
import { claimAccount, journalRow, keyOf, markApplied, releaseAccount, writeIntent } from './mdb-journal.js';
import { remainder, tookEffect } from './mdb-recover.js';
import { endSessions } from './mdb-sessions.js';
import type { Account } from './mdb-sql.js';

/** Where a test may simulate the process dying: after the intent, or after the change. */
export type CrashPoint = 'intent' | 'change';

export interface ApplyContext {
  readonly now: Date;
  readonly fingerprintKey: FingerprintKey;
  readonly defaultTtlSeconds: number;
  readonly crashPoint?: (point: CrashPoint) => void;
}

export async function applyStep(
  pool: AdminPool,
  step: Step,
  account: Account,
  ctx: ApplyContext,
): Promise<ApplyResult> {
  checkParams(step);
  return pool.withLock(account, 'apply', async (sql) => {
    const row = await journalRow(sql, keyOf(step));
    if (row !== undefined) {
      if (row.action !== step.action || row.user_name !== account.user || row.user_host !== account.host) {
        throw new CustosError('CONNECTOR_REFUSED', `step ${step.stepId} was applied as a different effect`);
      }
      const outputs = JSON.parse(row.outputs) as Record<string, JsonValue>;
      if (row.status === 'applied') return { outcome: 'already_applied', outputs };
      if (await tookEffect(sql, row, step, account, await readAccount(sql, account))) {
        for (const statement of remainder(step, account)) await sql.run(statement);
        return {
          outcome: 'already_applied',
          outputs: await complete(sql, step, account, ENDS_SESSIONS.has(step.action), outputs),
        };
      }
    }
    const current = await readAccount(sql, account);
    const effect = await prepareEffect({ ...ctx, sql, step, account, current });
    await writeIntent(sql, {
      key: keyOf(step),
      action: step.action,
      account,
      outputs: effect.outputs,
      priorHash: effect.priorHash,
      setHash: effect.setHash,
      at: ctx.now.getTime(),
    });
    ctx.crashPoint?.('intent');
    await change(sql, step, account, effect.statements);
    ctx.crashPoint?.('change');
    const outputs = await complete(sql, step, account, ENDS_SESSIONS.has(step.action), effect.outputs);
    if (effect.secret === undefined) return { outcome: 'applied', outputs };
    const artifact = { hash: effect.secret.fingerprint, version: step.runId };
    return { outcome: 'applied', outputs, secret: effect.secret, artifact };
  });
}

/** Sends the statements; a create claims the account first and gives it up if it never came to be. */
async function change(sql: Sql, step: Step, account: Account, statements: readonly string[]): Promise<void> {
  const create = step.action === 'create';
  if (create) await claimAccount(sql, account, { system: step.system.id, identity: step.identity.id });
  try {
    for (const statement of statements) await sql.run(statement);
  } catch (error) {
    if (create && (await readAccount(sql, account).catch(() => null)) === undefined) {
      await releaseAccount(sql, account).catch(() => undefined);
    }
    throw error;
  }
}

/** Ends the sessions the change invalidated, forgets a retired account, records the step applied. */
async function complete(
  sql: Sql,
  step: Step,
  account: Account,
  ends: boolean,
  outputs: Record<string, JsonValue>,
): Promise<Record<string, JsonValue>> {
  const ended = ends ? await endSessions(sql, account.user) : undefined;
  if (step.action === 'retire') await releaseAccount(sql, account);
  const final = step.action === 'end_sessions' ? { ...outputs, ended: ended?.ended ?? 0 } : outputs;
  await markApplied(sql, keyOf(step), {
    outputs: final,
    boundary: ended?.boundary ?? null,
    serverStarted: ended?.serverStarted ?? null,
  });
  return final;
}
