/**
 * Child process for crash.test.ts: opens an existing world and advances its approved run (for a
 * rollback case: makes the first verification disagree so the run pauses, then rolls it back),
 * SIGKILLing itself at the named crash point. It prints `survived <state>` if it reached the end
 * without meeting its crash point.
 *
 * Usage: node --import tsx crash-child.ts '<json CrashChildConfig>'
 */
import { openWorld, type CrashChildConfig } from './crash-support.js';

const config = JSON.parse(process.argv[2] ?? '') as CrashChildConfig;

// process.stdout.write on a pipe is synchronous on Linux: a printed line survives our SIGKILL.
function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

async function main(): Promise<void> {
  const w = await openWorld(config.world, {
    crashPoint: (name) => {
      if (name === config.crashAt) process.kill(process.pid, 'SIGKILL');
    },
  });
  if (config.rollback) {
    let lie = true;
    w.wrap((real) => ({
      describe: () => real.describe(),
      checkStep: (s) => {
        real.checkStep(s);
      },
      plan: (s, a) => real.plan(s, a),
      readPrior: (s, a) => real.readPrior(s, a),
      apply: (s, a) => real.apply(s, a),
      verify: async (s, a, x) => {
        if (!lie) return real.verify(s, a, x);
        lie = false;
        return { ok: false, checks: [{ name: 'read-back', ok: false, detail: 'forced to disagree' }] };
      },
      rollback: (s, a, p) => real.rollback(s, a, p),
      list: (s, a) => real.list(s, a),
      endSessions: (s, a) => real.endSessions(s, a),
    }));
  }
  let { run } = await w.engine.advance(config.runId);
  if (config.rollback) run = await w.engine.rollback(run.id, 'person:pat');
  say(`survived ${run.state}`);
  await w.close();
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
