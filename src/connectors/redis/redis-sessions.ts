/**
 * A user's open sessions, from `CLIENT LIST` (one line per connection, `id=… user=…`). Client ids
 * only grow, so "opened before the step" is "an id below the admin connection's id at apply".
 */
import type { AdminSession } from './redis-admin.js';

export async function sessionIds(session: AdminSession, user: string): Promise<number[]> {
  const text = String(await session.call('CLIENT', 'LIST'));
  const ids: number[] = [];
  for (const line of text.split('\n')) {
    const fields = new Map(
      line
        .trim()
        .split(' ')
        .map((kv) => {
          const at = kv.indexOf('=');
          return [kv.slice(0, at), kv.slice(at + 1)] as const;
        }),
    );
    const id = Number(fields.get('id'));
    if (fields.get('user') === user && Number.isInteger(id)) ids.push(id);
  }
  return ids;
}
