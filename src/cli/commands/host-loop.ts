/**
 * The host loop of `custos serve`: one pass at a time, every `intervalMs`, each pass's failure
 * logged and the loop kept alive (a timer whose effect fails is marked failed with an alert by the
 * engine itself; here we only keep going). Log lines are JSON on stderr with facts only: ids and
 * counts, never a secret.
 */
import type { CliIo } from '../io.js';

export interface HostLoop {
  /** Stops scheduling and waits for the pass in progress. */
  stop(): Promise<void>;
}

export function hostLoop(
  io: CliIo,
  intervalMs: number,
  pass: () => Promise<Record<string, number>>,
): HostLoop {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let current: Promise<void> = Promise.resolve();
  const once = async () => {
    try {
      const counts = await pass();
      if (Object.values(counts).some((n) => n > 0)) logLine(io, 'info', 'host loop', counts);
    } catch (e) {
      const code = e instanceof Error && 'code' in e ? String((e as { code: unknown }).code) : 'INTERNAL';
      logLine(io, 'error', 'host loop pass failed', {
        code,
        message: e instanceof Error ? e.message : String(e),
      });
    }
  };
  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      current = once().then(schedule);
    }, intervalMs);
  };
  current = once().then(schedule);
  return {
    stop: async () => {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
      await current;
    },
  };
}

export function logLine(
  io: CliIo,
  level: 'info' | 'error',
  msg: string,
  fields: Record<string, unknown>,
): void {
  io.err(`${JSON.stringify({ time: new Date().toISOString(), level, msg, ...fields })}\n`);
}
