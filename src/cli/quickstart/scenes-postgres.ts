/**
 * Scenes 2, 5 and 6, on a real PostgreSQL target (the token issuer cannot grant entitlements): a
 * privileged grant approved by a DBA and a security engineer; a revocation paused by a real network
 * outage and resumed by a named owner; break-glass granted at once and revoked by its own run at
 * expiry. Roles, grants and logins are real; verification reads the server back.
 */
import type { Run } from '../../runs/index.js';
import type { InputOf } from '../../service/index.js';
import type { PgTarget } from './pg-target.js';
import { expectThat, recordsOf, type SceneContext } from './scene-kit.js';

const EVE = 'person:eve';
const DAN = 'person:dan';
const SAM = 'person:sam';
const PAT = 'person:pat';
const ALICE = 'person:alice';

export interface PgSceneContext extends SceneContext {
  readonly target: PgTarget;
  /** The identity the scenes create on pg-prod (its role has the same name). */
  readonly identity: string;
}

export async function scenePrivilegedGrant(ctx: PgSceneContext): Promise<void> {
  const { cast, n, identity } = ctx;
  n.scene(2, 'A privileged grant needs two approvers from two groups');
  // First the account itself: a production service account needs one DBA.
  const created = await approvedRun(
    ctx,
    2,
    'quickstart-scene-2a',
    {
      action: 'create',
      resource: { new: { name: identity, kind: 'service_account', system: 'pg-prod' } },
      context: { durationMinutes: 1440 },
    },
    'schema migrations for payments',
    [DAN],
  );
  n.say(
    `${EVE} asks for a PostgreSQL service account ${identity} on pg-prod (medium risk: one DBA); ` +
      `${DAN} signs, ${EVE} executes it: the role is created, its password set as a SCRAM verifier and ` +
      'verified by a real login.',
  );
  n.evidence(`run ${created.id}`, await recordsOf(cast, EVE, created.id));
  const granted = await approvedRun(
    ctx,
    2,
    'quickstart-scene-2b',
    {
      action: 'grant',
      resource: { identity },
      context: { entitlements: ['pg_write_all_data'], justification: 'data migration INC-2291' },
    },
    'data migration INC-2291',
    [DAN, SAM],
  );
  n.say(
    `Then ${EVE} asks to grant it pg_write_all_data on production. Policy says high risk: a DBA ` +
      `AND a security engineer. ${DAN} (group:dba) and ${SAM} (group:security) each sign the request ` +
      'digest with their own key; Custos checks both signatures and separation of duties, executes ' +
      'the grant, and verifies it on the server.',
  );
  n.fact(
    'decision',
    `risk ${granted.decision?.riskTier ?? '-'}, policies ${granted.decision?.determiningPolicies.join(', ') ?? '-'}`,
  );
  n.evidence(`run ${granted.id}`, await recordsOf(cast, EVE, granted.id));
}

export async function sceneOutage(ctx: PgSceneContext): Promise<void> {
  const { cast, n, identity, target } = ctx;
  n.scene(5, 'A failing target pauses a run; a named person resumes it');
  await target.link.cut();
  let paused: Run;
  try {
    ({ run: paused } = await cast.call(EVE, 'fileRequest', {
      request: { action: 'revoke', resource: { identity }, context: { entitlements: ['pg_write_all_data'] } },
      justification: 'migration INC-2291 done',
      idempotencyKey: 'quickstart-scene-5',
    }));
  } finally {
    await target.link.restore();
  }
  expectThat(5, paused.state === 'paused', `the run is ${paused.state}`, paused.reason);
  n.say(
    `The migration is done: ${EVE} asks to revoke pg_write_all_data (low risk, automatic). But the ` +
      'network between Custos and pg-prod is down (the quickstart cut the TCP link it routes pg-prod ' +
      'through): the connector cannot reach the server, and the run pauses instead of guessing.',
  );
  n.fact('paused', paused.reason ?? '-');
  const { items } = await cast.call(PAT, 'listAlerts', { subjectKind: 'run', subjectId: paused.id });
  const alert = items.find((a) => a.kind === 'run.paused');
  expectThat(5, alert !== undefined, 'no run.paused alert was raised');
  const raised = (await recordsOf(cast, PAT, paused.id)).find((r) => r.type === 'alert.raised');
  n.fact(
    'alert',
    `${alert!.kind} (${alert!.severity}) to ${alert!.notify.join(', ')}, record #${raised?.index ?? '-'}`,
  );
  const { run } = await cast.call(PAT, 'resumeRun', { id: paused.id });
  expectThat(5, run.state === 'completed', `after the resume the run is ${run.state}`, run.reason);
  n.fact(
    'resumed',
    `the link is back; ${PAT}, the platform owner, resumes the run: revoked and verified on the server`,
  );
  n.evidence(`run ${run.id}`, await recordsOf(cast, PAT, run.id));
}

export interface BreakGlassHooks {
  /** Moves the quickstart's clock to the present (it started 61 minutes behind). */
  readonly jumpToPresent: () => void;
  /** One pass of the host loop (`custos serve` runs it every few seconds): due timers fire. */
  readonly tick: () => Promise<{ fired: number; runs: readonly string[] }>;
}

export async function sceneBreakGlass(ctx: PgSceneContext, hooks: BreakGlassHooks): Promise<void> {
  const { cast, n, identity } = ctx;
  n.scene(6, 'Break-glass: granted at once, revoked automatically at expiry');
  const { run } = await cast.call(ALICE, 'fileRequest', {
    request: {
      action: 'break_glass',
      resource: { identity },
      context: {
        entitlements: ['pg_read_all_data'],
        durationMinutes: 60,
        justification: 'incident INC-2300',
      },
    },
    justification: 'incident INC-2300: read the payments data to find the stuck batch',
    idempotencyKey: 'quickstart-scene-6',
  });
  expectThat(6, run.state === 'completed', `the break-glass run is ${run.state}`, run.reason);
  const [grant] = (await cast.call(ALICE, 'listGrants', { identity, state: 'active' })).items;
  expectThat(6, grant !== undefined, 'no active break-glass grant');
  n.say(
    `During incident INC-2300, ${ALICE} (on call, group:dba) takes break-glass access: pg_read_all_data ` +
      'for 60 minutes, granted at once without waiting for approvers, every owner notified.',
  );
  n.fact('granted', `${grant!.id}, expires ${grant!.expiresAt}, review due ${grant!.reviewDueAt ?? '-'}`);
  n.say(
    'This scenario runs on a clock that started 61 minutes in the past; it now jumps to the present, ' +
      "so the grant's hour is over. The host loop's next pass fires the expiry timer.",
  );
  hooks.jumpToPresent();
  const fired = await hooks.tick();
  const ended = await cast.call(ALICE, 'getGrant', { id: grant!.id });
  const revocation = ended.followUpRunId;
  expectThat(
    6,
    ended.state === 'revoked' && revocation !== null && fired.runs.includes(revocation),
    `the grant is ${ended.state}`,
  );
  const { run: revoked } = await cast.call(ALICE, 'getRun', { id: revocation! });
  expectThat(6, revoked.state === 'completed', `the revocation run is ${revoked.state}`, revoked.reason);
  n.fact(
    'revoked',
    `by run ${revocation!} (requested by Custos itself, pre-authorised by the grant), verified on the server`,
  );
  const reviewed = await cast.call(PAT, 'reviewBreakGlass', {
    id: grant!.id,
    verdict: 'appropriate',
    rationale: 'INC-2300 confirmed; read-only access was needed',
  });
  n.fact('reviewed', `after the fact by ${reviewed.reviewedBy ?? '-'}, the workflow's named reviewer`);
  n.evidence(`break-glass run ${run.id}`, await recordsOf(cast, ALICE, run.id));
  n.evidence(`revocation run ${revocation!}`, await recordsOf(cast, ALICE, revocation!));
}

/** Files a request as Eve, has each approver sign it, and Eve executes it: it must complete. */
async function approvedRun(
  { cast }: PgSceneContext,
  scene: number,
  key: string,
  request: InputOf<'fileRequest'>['request'],
  justification: string,
  approvers: readonly string[],
): Promise<Run> {
  const filed = await cast.call(EVE, 'fileRequest', { request, justification, idempotencyKey: key });
  expectThat(
    scene,
    filed.run.state === 'awaiting_approval',
    `the run is ${filed.run.state}`,
    filed.run.reason,
  );
  let run = filed.run;
  for (const approver of approvers) {
    run = await cast.call(approver, 'approveRun', {
      id: run.id,
      approval: cast.sign(approver, run, 'approve', 'reviewed'),
    });
  }
  expectThat(
    scene,
    run.state === 'approved',
    `after ${approvers.join(' and ')} signed, the run is ${run.state}`,
  );
  const done = await cast.call(EVE, 'advanceRun', { id: run.id });
  expectThat(scene, done.run.state === 'completed', `the run ended ${done.run.state}`, done.run.reason);
  return done.run;
}
