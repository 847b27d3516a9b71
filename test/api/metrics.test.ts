/**
 * /metrics on both stores, in the Prometheus text format: runs by state, approval latency, ledger
 * size, connector errors by target — read from the store, so they equal what the store holds — and
 * the request and write timings and policy evaluations this process measured.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storeKinds } from '../support/stores.js';
import { createApiFixture, type ApiFixture } from './http-support.js';
import { CI_TOKEN, ENGINEER_KEY, approverKey, signed } from './support.js';
import type { Run } from '../../src/runs/index.js';

/** `name{labels}` -> value, checking every line is a comment or a well-formed sample. */
function parse(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  const typed = new Set<string>();
  for (const line of text.trimEnd().split('\n')) {
    const type = /^# TYPE ([a-z_]+) (counter|gauge|histogram)$/.exec(line);
    if (type !== null) {
      typed.add(type[1]!);
      continue;
    }
    if (line.startsWith('# HELP ')) continue;
    const m = /^([a-z_]+)(\{(?:[a-z_]+="(?:[^"\\\n]|\\.)*",?)*\})? (-?[0-9.e+-]+|\+Inf|NaN)$/.exec(line);
    expect(m, line).not.toBeNull();
    const family = m![1]!.replace(/_(bucket|sum|count)$/, '');
    expect(typed.has(family) || typed.has(m![1]!), `TYPE before ${line}`).toBe(true);
    samples.set(`${m![1]!}${m![2] ?? ''}`, Number(m![3]));
  }
  return samples;
}

for (const kind of storeKinds()) {
  describe(`metrics on ${kind.name}`, () => {
    let f: ApiFixture;
    beforeAll(async () => {
      f = await createApiFixture(kind);
    });
    afterAll(async () => {
      await f.close();
    });

    it('measures runs, approvals, the ledger and connector errors from the store', async () => {
      const ci = await f.token('service:ci-pipeline');
      const eve = await f.token('person:eve');
      const alice = await f.token('person:alice');
      const key = await approverKey(f.service, 'person:alice');
      const file = async (token: string, request: unknown, justification: string) => {
        const answer = await f.request('POST', '/v1/requests', { token, body: { request, justification } });
        expect(answer.status).toBe(201);
        return answer.json['run'] as Run;
      };
      await file(ci, CI_TOKEN, 'deploy');
      const approve = await file(eve, ENGINEER_KEY, 'metrics');
      // The same request for another key (with another justification, which the API puts in the
      // decision's context and policies only test for emptiness): Cedar's answer to the first is
      // remembered for it (cedar-memo.ts).
      const deny = await file(
        eve,
        { ...ENGINEER_KEY, resource: { new: { name: 'denied-key', kind: 'api_key', system: 'tokens' } } },
        'no',
      );
      expect(
        (
          await f.request('POST', `/v1/runs/${approve.id}/approve`, {
            token: alice,
            body: { approval: signed(key, approve) },
          })
        ).status,
      ).toBe(200);
      expect(
        (
          await f.request('POST', `/v1/runs/${deny.id}/deny`, {
            token: alice,
            body: { approval: signed(key, deny, 'deny') },
          })
        ).status,
      ).toBe(200);
      // A run on a target that cannot be reached fails, pauses, and counts against that target.
      await f.custos.inventory.recordReconciliation('pg-prod', {
        at: new Date(),
        openCriticalFindings: 0,
        actor: 'person:alice',
      });
      const failed = await file(eve, { action: 'rotate', resource: { identity: 'reporting-svc' } }, 'rotate');
      expect(failed.state).toBe('paused');
      // Its pause raised an alert, listed by subject.
      const alerts = await f.request('GET', `/v1/alerts?subjectKind=run&subjectId=${failed.id}`, {
        token: f.roles.auditor,
      });
      expect(
        (alerts.json['items'] as { kind: string; state: string }[]).map((a) => [a.kind, a.state]),
      ).toEqual([['run.paused', 'pending']]);
      const half = await f.request('GET', '/v1/alerts?subjectKind=run', { token: f.roles.auditor });
      expect(half.json).toMatchObject({ code: 'INPUT_INVALID', details: { field: 'subjectId' } });

      const answer = await f.request('GET', '/metrics', { token: f.roles.auditor });
      expect(answer.status).toBe(200);
      expect(answer.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
      const m = parse(answer.text);
      const runs = (await f.service.listRuns({ principal: 'person:sara' }, { limit: 1000 })).items;
      for (const state of ['completed', 'approved', 'rejected', 'paused', 'awaiting_approval']) {
        expect(m.get(`custos_runs{state="${state}"}`), state).toBe(
          runs.filter((r) => r.state === state).length,
        );
      }
      expect(m.get('custos_runs{state="paused"}')).toBe(1);
      expect(m.get('custos_ledger_size')).toBe(await f.custos.ledger.size());
      expect(m.get('custos_ledger_checkpoint_size')).toBe((await f.custos.ledger.latestCheckpoint())!.size);
      expect(m.get('custos_connector_errors_total{target="pg-prod"}')).toBe(1);
      expect(m.get('custos_approval_latency_seconds_count{outcome="approved"}')).toBe(1);
      expect(m.get('custos_approval_latency_seconds_count{outcome="rejected"}')).toBe(1);
      expect(m.get('custos_approval_latency_seconds_bucket{outcome="approved",le="+Inf"}')).toBe(1);
      expect(m.get('custos_approval_latency_seconds_bucket{outcome="approved",le="60"}')).toBe(1);
      // Four decisions, the engineer's second key request answered from memory.
      expect(m.get('custos_policy_evaluations_total{answer="evaluated"}')).toBe(3);
      expect(m.get('custos_policy_evaluations_total{answer="remembered"}')).toBe(1);
      expect(m.get('custos_http_requests_total{operation="fileRequest",status="201"}')).toBe(4);
      expect(m.get('custos_ledger_append_seconds_count{operation="fileRequest"}')).toBe(4);
      expect(m.get('custos_ledger_append_seconds_count{operation="approveRun"}')).toBe(1);
      // Cumulative buckets never decrease and end at the count.
      const buckets = [...m].filter(([k]) =>
        k.startsWith('custos_http_request_duration_seconds_bucket{operation="fileRequest"'),
      );
      const counts = buckets.map(([, v]) => v);
      expect(counts).toEqual([...counts].sort((a, b) => a - b));
      expect(counts.at(-1)).toBe(
        m.get('custos_http_request_duration_seconds_count{operation="fileRequest"}'),
      );
    });

    it('are for authenticated callers and write nothing', async () => {
      expect((await f.request('GET', '/metrics')).status).toBe(401);
      const size = await f.custos.ledger.size();
      expect((await f.request('GET', '/metrics', { token: f.roles.requester })).status).toBe(200);
      expect(await f.custos.ledger.size()).toBe(size);
    });
  });
}
