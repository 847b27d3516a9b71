/**
 * Scenes 1, 3 and 4, on the built-in token issuer (no server needed): a CI pipeline's token issued
 * automatically and checked downstream; its rotation, after which the old token fails; and an admin
 * refused when approving their own request. Each scene checks what happened before it says so.
 */
import { isCustosError } from '../../core/errors.js';
import type { Run } from '../../runs/index.js';
import { ROUTE_OF } from '../../api/index.js';
import type { OperationName } from '../../service/index.js';
import { expectThat, recordsOf, type SceneContext } from './scene-kit.js';
import { DOWNSTREAM } from './setup.js';

const CI = 'service:ci-pipeline';
export const DEPLOY_TOKEN = 'payments-deploy';

/** The issued token travels between scenes in memory only; it is never printed. */
export interface TokenState {
  token: string;
}

export async function sceneIssueToken({ cast, n, bundleHash }: SceneContext): Promise<TokenState> {
  n.scene(1, 'A CI pipeline asks for an API token for the payments service');
  const { run, secrets } = await cast.call(CI, 'fileRequest', {
    request: {
      action: 'create',
      resource: { new: { name: DEPLOY_TOKEN, kind: 'token', system: 'tokens', tags: ['service:payments'] } },
      context: { durationMinutes: 60 },
    },
    justification: 'deploy payments 2025.11.3',
    idempotencyKey: 'quickstart-scene-1',
  });
  const issued = secrets[0];
  expectThat(1, run.state === 'completed' && issued !== undefined, `the run ended ${run.state}`, run.reason);
  n.say(
    `${CI}, a non-human principal, files a request through the API (${route('fileRequest')}): a ` +
      `60-minute token named ${DEPLOY_TOKEN}, tagged service:payments, from the built-in token issuer.`,
  );
  n.fact(
    'policy',
    `allow, risk ${run.decision?.riskTier ?? '-'}, route ${routeOf(run)} ` +
      `(policy ${run.decision?.determiningPolicies.join(', ') ?? '-'}, bundle ${short(bundleHash)})`,
  );
  n.fact('executed by', `${run.executor ?? '-'}, with a delegated authority minted for this run alone`);
  n.fact(
    'issued',
    `${issued!.fingerprint} (the token went to the pipeline only, once; records hold this fingerprint)`,
  );
  const check = await cast.call(DOWNSTREAM, 'verifyToken', { token: issued!.value });
  expectThat(1, check.valid && check.runId === run.id, 'the downstream check did not accept the token');
  n.fact(
    'downstream',
    `${DOWNSTREAM} presents it to ${route('verifyToken')}: valid (identity ${check.identity ?? '-'}, run ${run.id})`,
  );
  n.evidence(`run ${run.id}`, await recordsOf(cast, CI, run.id));
  return { token: issued!.value };
}

export async function sceneRotate({ cast, n }: SceneContext, state: TokenState): Promise<void> {
  n.scene(3, 'The token is rotated; the old one stops working');
  const { run, secrets } = await cast.call(CI, 'fileRequest', {
    request: { action: 'rotate', resource: { identity: DEPLOY_TOKEN }, context: { durationMinutes: 60 } },
    justification: 'rotate after release 2025.11.3',
    idempotencyKey: 'quickstart-scene-3',
  });
  const fresh = secrets[0];
  expectThat(
    3,
    run.state === 'completed' && fresh !== undefined,
    `the rotation ended ${run.state}`,
    run.reason,
  );
  const [oldCheck, newCheck] = [
    await cast.call(DOWNSTREAM, 'verifyToken', { token: state.token }),
    await cast.call(DOWNSTREAM, 'verifyToken', { token: fresh!.value }),
  ];
  expectThat(3, !oldCheck.valid && newCheck.valid, 'the old token still verifies, or the new one does not');
  n.say(
    `${CI} rotates ${DEPLOY_TOKEN} (route ${routeOf(run)}, policy ${run.decision?.determiningPolicies.join(', ') ?? '-'}).`,
  );
  n.fact('new token', `${fresh!.fingerprint}: valid downstream`);
  n.fact('old token', `refused downstream (${oldCheck.reason ?? 'invalid'})`);
  n.evidence(`run ${run.id}`, await recordsOf(cast, CI, run.id));
  state.token = fresh!.value;
}

export async function sceneSelfApproval({ cast, n }: SceneContext): Promise<void> {
  n.scene(4, 'An approver tries to approve their own request');
  const alice = 'person:alice';
  const { run } = await cast.call(alice, 'fileRequest', {
    request: {
      action: 'create',
      resource: { new: { name: 'alice-metrics-key', kind: 'api_key', system: 'tokens' } },
      context: { durationMinutes: 1440 },
    },
    justification: 'metrics exporter',
    idempotencyKey: 'quickstart-scene-4',
  });
  expectThat(4, run.state === 'awaiting_approval', `the run is ${run.state}`, run.reason);
  n.say(
    `${alice} (admin, approver, in group:platform) asks for an API key; policy routes it to one ` +
      'approver from group:platform. She signs an approval of her own request and submits it.',
  );
  const before = await recordsOf(cast, alice, run.id);
  let code = 'none';
  try {
    await cast.call(alice, 'approveRun', { id: run.id, approval: cast.sign(alice, run, 'approve', 'mine') });
  } catch (e) {
    if (!isCustosError(e)) throw e;
    code = e.code;
  }
  const after = await recordsOf(cast, alice, run.id);
  expectThat(
    4,
    code === 'SOD_VIOLATION' && after.length === before.length,
    `the approval was not refused (${code})`,
  );
  n.fact(
    'refused',
    'SOD_VIOLATION: the requester of a run cannot approve it, admin or not; nothing was written',
  );
  const aborted = await cast.call(alice, 'abortRun', {
    id: run.id,
    reason: 'withdrawn: another platform engineer will ask',
  });
  expectThat(4, aborted.state === 'aborted', `the run is ${aborted.state}`);
  n.fact('then', `${alice} withdraws it (aborted, with her reason)`);
  n.evidence(`run ${run.id}`, await recordsOf(cast, alice, run.id));
}

/** `POST /v1/runs`: where an operation lives in the HTTP API. */
function route(op: OperationName): string {
  return `${ROUTE_OF[op].method} ${ROUTE_OF[op].path}`;
}

/** `low (automatic)` or `high (approvals)`. */
function routeOf(run: Run): string {
  const route = run.decision?.route;
  return route === undefined ? '-' : `${route.name} (${route.mode === 'auto' ? 'automatic' : route.mode})`;
}

function short(hash: string): string {
  return `${hash.slice(0, 19)}…`;
}
