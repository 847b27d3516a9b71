/**
 * Reading the outbox, for the CLI, the API and tests: alerts with their delivery state, oldest
 * first. Alerts raised while no webhook is configured stay `pending` and are listed here.
 */
import { CustosError } from '../core/errors.js';
import type { Subject } from '../ledger/record.js';
import type { Sql, SqlParam } from '../store/sql.js';
import {
  ALERT_COLUMNS,
  ALERT_STATES,
  subjectKey,
  toAlertStatus,
  type AlertRow,
  type AlertState,
  type AlertStatus,
} from './alert-model.js';

export interface ListAlertsFilter {
  readonly state?: AlertState;
  readonly subject?: Subject;
  /** At most this many (default 100, at most 1000). */
  readonly limit?: number;
}

export async function listAlerts(sql: Sql, filter: ListAlertsFilter = {}): Promise<AlertStatus[]> {
  const where: string[] = [];
  const params: SqlParam[] = [];
  if (filter.state !== undefined) {
    if (!(ALERT_STATES as readonly string[]).includes(filter.state)) {
      throw new CustosError('INPUT_INVALID', `alert state must be one of ${ALERT_STATES.join(', ')}`, {
        details: { field: 'state' },
      });
    }
    where.push('state = ?');
    params.push(filter.state);
  }
  if (filter.subject !== undefined) {
    where.push('subject = ?');
    params.push(subjectKey(filter.subject));
  }
  const limit = filter.limit ?? 100;
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > 1000) {
    throw new CustosError('INPUT_INVALID', 'limit must be 1 to 1000', { details: { field: 'limit' } });
  }
  params.push(limit);
  const rows = await sql.query<AlertRow & Record<string, unknown>>(
    `SELECT ${ALERT_COLUMNS} FROM alerts${where.length > 0 ? ` WHERE ${where.join(' AND ')}` : ''}
     ORDER BY created_at, id LIMIT ?`,
    params,
  );
  return rows.map(toAlertStatus);
}
