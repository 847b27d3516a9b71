/**
 * Cedar on a thread of its own (cedar-thread.ts) decides exactly as decide() does on the caller's
 * thread, batches the calls of one turn of the event loop, and fails closed: a worker that dies
 * fails the calls it held with INTERNAL_ERROR, and the next call starts a new one, sent the bundle
 * again.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { CustosError } from '../../src/core/errors.js';
import {
  ACTIONS,
  CedarThread,
  SYSTEM_TYPES,
  buildEntities,
  decide,
  decideWith,
  loadBundle,
  loadBundleFromFiles,
  type DecisionRequest,
  type LoadedBundle,
} from '../../src/policy/index.js';
import { EXAMPLE_DIR, REQUESTERS, erringTokensFiles } from './support.js';

const threads: CedarThread[] = [];
afterEach(async () => {
  for (const thread of threads.splice(0)) await thread.close();
});

function thread(worker?: { base: string; name: string }): CedarThread {
  const t = new CedarThread(worker === undefined ? {} : { worker });
  threads.push(t);
  return t;
}

/** Requests by requesters in and out of the bundle's groups, on every system type, tripping guardrails. */
function requests(): DecisionRequest[] {
  const out: DecisionRequest[] = [];
  for (const type of SYSTEM_TYPES) {
    const entities = buildEntities({
      principals: REQUESTERS,
      systems: [{ id: 'sys', type, environment: 'prod' }],
      identities: [{ id: 'agent', kind: 'ai_agent', system: 'sys', tags: ['service:payments'] }],
    });
    for (const principal of ['service:ci-pipeline', 'person:eve', 'person:bob', 'person:nobody']) {
      for (const action of ACTIONS) {
        for (const resource of [
          { identity: 'agent' },
          { new: { name: 'deploy', kind: 'token', system: 'sys', tags: ['service:payments'] } } as const,
        ]) {
          for (const context of [
            { durationMinutes: 60, justification: 'why' },
            { durationMinutes: 0, entitlements: ['superuser'] },
            { durationMinutes: 100_000, justification: 'x', control: 'c', compensatingControl: 'y' },
          ]) {
            out.push({ principal, action, resource, context, entities });
          }
        }
      }
    }
  }
  return out;
}

describe('decisions on the policy thread', () => {
  const erring = loadBundleFromFiles(erringTokensFiles());
  for (const [label, bundle] of [
    ['example bundle', loadBundle(EXAMPLE_DIR)],
    ['with a policy that errors', erring],
  ] as [string, LoadedBundle][]) {
    it(`are decide()'s, request for request (${label})`, async () => {
      const all = requests();
      const cedar = thread();
      // All at once: the calls of one turn go to the thread together.
      const threaded = await Promise.all(all.map((r) => decideWith(bundle, r, cedar.evaluate)));
      const outcomes = new Set<string>();
      for (const [i, request] of all.entries()) {
        expect(threaded[i], `${request.principal} ${request.action}`).toEqual(decide(bundle, request));
        const d = threaded[i]!;
        outcomes.add(
          d.allowed ? 'allow' : d.reasons.some((r) => r.includes('failed to evaluate')) ? 'error' : 'deny',
        );
      }
      // Not vacuous: both outcomes occur, and the erring policy errs.
      expect([...outcomes].sort()).toEqual(
        label === 'example bundle' ? ['allow', 'deny'] : ['allow', 'deny', 'error'],
      );
    });
  }

  it('takes two bundles side by side', async () => {
    const cedar = thread();
    const example = loadBundle(EXAMPLE_DIR);
    const request = requests().find((r) => r.action === 'rotate')!;
    const [a, b] = await Promise.all([
      decideWith(example, request, cedar.evaluate),
      decideWith(erring, request, cedar.evaluate),
    ]);
    expect(a).toEqual(decide(example, request));
    expect(b).toEqual(decide(erring, request));
    expect(a.bundleHash).not.toBe(b.bundleHash);
  });
});

describe('a policy thread that fails', () => {
  const bundle = loadBundle(EXAMPLE_DIR);
  const request = requests()[0]!;
  const dying = { base: import.meta.url, name: 'fixtures/dying-cedar-worker' };

  it('fails the calls it held with INTERNAL_ERROR, then starts again with the bundle re-sent', async () => {
    const cedar = thread(dying);
    const die = { ...request, context: { ...request.context, justification: 'die' } };
    const held = await Promise.allSettled([
      decideWith(bundle, request, cedar.evaluate),
      decideWith(bundle, die, cedar.evaluate),
    ]);
    for (const outcome of held) {
      expect(outcome.status).toBe('rejected');
      const error = (outcome as PromiseRejectedResult).reason as CustosError;
      expect(error).toBeInstanceOf(CustosError);
      expect(error.code).toBe('INTERNAL_ERROR');
      expect(error.message).toMatch(/policy thread stopped: exit code 3/);
      expect(error.retryable).toBe(true);
    }
    // A new worker: it knows the bundle only if it was sent again.
    expect(await decideWith(bundle, request, cedar.evaluate)).toEqual(decide(bundle, request));
  });

  it('fails calls after close', async () => {
    const cedar = thread();
    const pending = decideWith(bundle, request, cedar.evaluate);
    await cedar.close();
    await expect(pending).rejects.toMatchObject({ code: 'INTERNAL_ERROR' });
    await expect(decideWith(bundle, request, cedar.evaluate)).rejects.toMatchObject({
      code: 'INTERNAL_ERROR',
      message: 'the policy thread is closed',
    });
  });
});

describe('a policy thread in a process started with V8 options', () => {
  // docs/cli.md gives `custos serve` --max-semi-space-size. Node refuses such an option in a worker's
  // execArgv, so a thread given the process's options explicitly could not start, and every decision
  // failed. Both the compiled worker (dist/, as `custos serve` runs it) and the sources' (under tsx,
  // as the benchmark runs it), each also under an inherited --input-type=module.
  const root = path.resolve(import.meta.dirname, '../..');
  const script = `
    const { CedarThread, loadBundle, decide, decideWith } = await import(process.env.ENTRY);
    const bundle = loadBundle(process.env.EXAMPLE);
    const request = JSON.parse(process.env.REQUEST);
    const cedar = new CedarThread();
    const [threaded] = await Promise.all([decideWith(bundle, request, cedar.evaluate)]);
    await cedar.close();
    console.log(JSON.stringify([threaded, decide(bundle, request)]));`;
  const example = loadBundle(EXAMPLE_DIR);
  const request = requests().find((r) => r.action === 'create' && decide(example, r).allowed)!;
  for (const [label, entry, loader] of [
    ['compiled', 'dist/policy/index.js', []],
    ['sources', 'src/policy/index.ts', ['--import', 'tsx']],
  ] as const) {
    for (const moduleInput of [false, true]) {
      it(`decides on the thread (${label}${moduleInput ? ', --input-type=module' : ''})`, () => {
        const args = ['--max-semi-space-size=64', ...loader];
        const run = spawnSync(
          process.execPath,
          moduleInput
            ? [...args, '--input-type=module', '-e', script]
            : [...args, '-e', `(async () => {${script}})()`],
          {
            cwd: root,
            encoding: 'utf8',
            env: {
              ...process.env,
              ENTRY: pathToFileURL(path.join(root, entry)).href,
              EXAMPLE: EXAMPLE_DIR,
              REQUEST: JSON.stringify(request),
            },
          },
        );
        expect(run.status, run.stderr).toBe(0);
        const [threaded, direct] = JSON.parse(run.stdout) as [unknown, unknown];
        expect(threaded).toEqual(direct);
        expect(threaded).toMatchObject({ allowed: true });
      });
    }
  }
});
