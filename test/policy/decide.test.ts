import { describe, expect, it } from 'vitest';
import {
  buildEntities,
  decide,
  loadBundle,
  loadBundleFromFiles,
  type DecisionRequest,
  type EntityFixtures,
} from '../../src/policy/index.js';
import { EXAMPLE_DIR, editFile, exampleFiles } from './support.js';

const bundle = loadBundle(EXAMPLE_DIR);

const fixtures: EntityFixtures = {
  principals: [
    { id: 'service:ci-pipeline', groups: ['group:pipelines'] },
    { id: 'person:eve', groups: ['group:engineering'] },
    { id: 'person:alice', groups: ['group:engineering', 'group:dba'] },
    { id: 'person:dan', groups: ['group:dba'] },
    { id: 'person:bob' },
  ],
  systems: [
    { id: 'tokens', type: 'tokens', environment: 'prod' },
    { id: 'pg-prod', type: 'postgres', environment: 'prod' },
    { id: 'pg-staging', type: 'postgres', environment: 'staging' },
  ],
  identities: [
    { id: 'payments-app', kind: 'service_account', system: 'pg-prod', entitlements: ['app_read'] },
    { id: 'staging-app', kind: 'service_account', system: 'pg-staging' },
    { id: 'support-agent', kind: 'ai_agent', system: 'pg-prod' },
  ],
};
const entities = buildEntities(fixtures);

function request(partial: Omit<DecisionRequest, 'entities'>): DecisionRequest {
  return { ...partial, entities };
}

describe('decide', () => {
  it('auto-approves a low-risk token for the CI pipeline', () => {
    const decision = decide(
      bundle,
      request({
        principal: 'service:ci-pipeline',
        action: 'create',
        resource: {
          new: { name: 'payments-deploy', kind: 'token', system: 'tokens', tags: ['service:payments'] },
        },
        context: { durationMinutes: 30 },
      }),
    );
    expect(decision).toEqual({
      allowed: true,
      reasons: ['tokens-ci-create'],
      riskTier: 'low',
      route: {
        name: 'low',
        mode: 'auto',
        requirements: [],
        ordered: false,
        expiresAfter: undefined,
        remindAfter: undefined,
        escalateAfter: undefined,
      },
      determiningPolicies: ['tokens-ci-create'],
      workflow: 'service-tokens',
      bundleHash: bundle.hash,
    });
  });

  it('routes a privileged production grant to a DBA AND security', () => {
    const decision = decide(
      bundle,
      request({
        principal: 'person:eve',
        action: 'grant',
        resource: { identity: 'payments-app' },
        context: { entitlements: ['pg_write_all_data'], justification: 'migration' },
      }),
    );
    expect(decision.allowed).toBe(true);
    expect(decision.riskTier).toBe('high');
    expect(decision.determiningPolicies).toEqual(['pg-grant-privileged-prod', 'pg-grant-prod']);
    expect(decision.workflow).toBe('postgres-service-accounts');
    expect(decision.route).toEqual({
      name: 'high',
      mode: 'approvals',
      requirements: [
        { group: 'group:dba', count: 1 },
        { group: 'group:security', count: 1 },
      ],
      ordered: false,
      expiresAfter: 'P2D',
      remindAfter: 'PT4H',
      escalateAfter: 'P1D',
    });
  });

  it('lets a forbid win over matching permits', () => {
    const decision = decide(
      bundle,
      request({
        principal: 'person:alice',
        action: 'grant',
        resource: { identity: 'support-agent' },
        context: { entitlements: ['superuser'], justification: 'please' },
      }),
    );
    expect(decision).toMatchObject({
      allowed: false,
      reasons: ['no-ai-agent-privileged'],
      riskTier: undefined,
      route: undefined,
      determiningPolicies: ['no-ai-agent-privileged'],
    });
  });

  it('denies an unknown principal, an unknown identity and an unknown system', () => {
    const base = { action: 'rotate', context: {} } as const;
    expect(
      decide(
        bundle,
        request({ ...base, principal: 'person:mallory', resource: { identity: 'payments-app' } }),
      ),
    ).toMatchObject({
      allowed: false,
      reasons: ['unknown principal person:mallory'],
      determiningPolicies: [],
    });
    expect(
      decide(bundle, request({ ...base, principal: 'person:eve', resource: { identity: 'nope' } })).reasons,
    ).toEqual(['unknown identity nope']);
    const onNowhere = { new: { name: 'x', kind: 'token', system: 'nowhere' } } as const;
    expect(
      decide(bundle, request({ ...base, principal: 'person:eve', resource: onNowhere })).reasons,
    ).toEqual(['unknown system nowhere']);
    expect(
      decide(bundle, request({ ...base, principal: 'group:dba', resource: { identity: 'payments-app' } }))
        .allowed,
    ).toBe(false);
  });

  it('denies with "no permit matched" when nothing permits', () => {
    const decision = decide(
      bundle,
      request({ principal: 'person:bob', action: 'retire', resource: { identity: 'payments-app' } }),
    );
    expect(decision).toMatchObject({
      allowed: false,
      reasons: ['no permit matched'],
      determiningPolicies: [],
    });
    expect(decision.workflow).toBe('postgres-service-accounts');
  });

  it('computes workflow and environment itself: the requester cannot claim production', () => {
    const decision = decide(
      bundle,
      request({
        principal: 'person:dan',
        action: 'break_glass',
        resource: { identity: 'staging-app' },
        context: { environment: 'prod', workflow: 'other', durationMinutes: 30, justification: 'outage' },
      }),
    );
    expect(decision).toMatchObject({ allowed: false, reasons: ['break-glass-prod-only'] });
  });

  it('rejects a context the schema does not declare', () => {
    const decision = decide(
      bundle,
      request({
        principal: 'person:eve',
        action: 'rotate',
        resource: { identity: 'payments-app' },
        context: { color: 'red' },
      }),
    );
    expect(decision.allowed).toBe(false);
    expect(decision.reasons[0]).toMatch(/^request rejected: /);
  });

  it('is pure: same answer every time, entities untouched', () => {
    const req = request({
      principal: 'person:eve',
      action: 'rotate',
      resource: { identity: 'payments-app' },
    });
    const snapshot = JSON.stringify(req);
    const first = decide(bundle, req);
    expect(decide(bundle, req)).toEqual(first);
    expect(decide(loadBundle(EXAMPLE_DIR), req)).toEqual(first);
    expect(JSON.stringify(req)).toBe(snapshot);
  });

  it('fails closed when a forbid cannot be evaluated', () => {
    const files = editFile(exampleFiles(), 'policies/guardrails.cedar', (t) =>
      t.concat(
        '\n@id("overflowing-guard")\nforbid (principal, action == Custos::Action::"rotate", resource)\n' +
          'when { context.durationMinutes * 1000000 > 5 };\n',
      ),
    );
    const guarded = loadBundleFromFiles(files);
    const decision = decide(guarded, {
      ...request({ principal: 'person:eve', action: 'rotate', resource: { identity: 'payments-app' } }),
      context: { durationMinutes: Number.MAX_SAFE_INTEGER },
    });
    expect(decision.allowed).toBe(false);
    expect(decision.reasons[0]).toMatch(/^policy overflowing-guard failed to evaluate/);
  });
});
