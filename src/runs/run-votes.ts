/** The votes counted on a run so far, with the group memberships each voter held when voting. */
import type { Vote } from '../approvals/index.js';
import type { Sql } from '../store/sql.js';

export async function runVotes(sql: Sql, runId: string): Promise<Vote[]> {
  const rows = await sql.query<{
    principal: string;
    decision: 'approve' | 'deny';
    groups: string;
    at: string;
  }>('SELECT principal, decision, groups, at FROM run_approvals WHERE run_id = ?', [runId]);
  return rows.map((r) => ({
    principal: r.principal,
    decision: r.decision,
    groups: JSON.parse(r.groups) as string[],
    at: r.at,
  }));
}
