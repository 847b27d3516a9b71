/**
 * Counting a user's open sessions, for verify. The broker tracks connections per user at once
 * (GET /api/connections/username/{user}); when each opened (`connected_at`, the broker's clock in
 * ms) comes from the statistics database, which learns of a new connection within about a second.
 *
 * With `since` (the broker's clock when the step ended the sessions, from the Date header: second
 * resolution, so the cut-off is the start of that second), only connections opened before it count
 * — those opened afterwards use the new password. A connection not yet in the statistics database
 * is newer than that and does not count. Without `since`, every open connection counts (after a
 * suspension or a retirement none may exist at all).
 */
import { z } from 'zod';
import type { ManagementApi } from './rmq-http.js';
import { segment } from './rmq-names.js';
import { parseBody } from './rmq-user.js';

const tracked = z.array(z.object({ name: z.string() }));
const details = z.object({ connected_at: z.number().optional() });

export async function staleSessions(api: ManagementApi, user: string, since: number | null): Promise<number> {
  const res = await api.request('GET', `/connections/username/${segment(user)}`, undefined, {
    missingOk: true,
  });
  const open = res.status === 404 ? [] : parseBody(tracked, res.body, `the sessions of ${user}`);
  if (since === null) return open.length;
  let stale = 0;
  for (const { name } of open) {
    const found = await api.request('GET', `/connections/${segment(name)}`, undefined, { missingOk: true });
    const info = details.safeParse(found.body);
    const at = info.success ? info.data.connected_at : undefined;
    if (found.status !== 404 && at !== undefined && at < since) stale++;
  }
  return stale;
}
