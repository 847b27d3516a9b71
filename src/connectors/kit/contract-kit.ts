/**
 * The connector contract test kit: the behaviour every connector must show, registered as vitest
 * tests. A connector's test file calls `describeConnectorContract` with a factory for a fresh
 * target (a real server, or the built-in token issuer on a fresh store).
 */
import { describe, expect, it } from 'vitest';
import type { JsonValue } from '../../core/canonical-json.js';
import { isCustosError, type CustosError } from '../../core/errors.js';
import { listScope, scopeOf, type AuthorityScope } from '../authority-check.js';
import type { Connector, StepAction, TargetIdentity, TargetSystem } from '../contract.js';
import { loginWith, stepFor, type StepMaker } from './kit-steps.js';

export interface ContractTarget {
  readonly connector: Connector;
  readonly system: TargetSystem;
  readonly identity: TargetIdentity;
  /** A valid delegated authority for exactly this scope (stand-in or real src/authority). */
  authority(scope: AuthorityScope): string;
  /** The real-login check: whether the target accepts `secret` for the identity now. */
  login(secret: string): Promise<boolean>;
  /** Moves the target's clock forward (an injected clock, or a real wait). */
  advance(seconds: number): Promise<void>;
  /**
   * Whether the target can hold two credentials at once (rotation with an overlap window). Targets
   * that cannot (PostgreSQL, MariaDB) must refuse an overlap instead. Default true.
   */
  readonly rotationOverlap?: boolean;
  /**
   * Whether rollback can put a replaced credential back. Targets whose passwords are write-only and
   * accept no hash (SCIM) cannot: they must refuse the rollback of a rotation, change nothing, and
   * plan it as irreversible. Default true.
   */
  readonly credentialRollback?: boolean;
  /**
   * Opens a real session (a connection logged in with `secret`) that the kit keeps open across a
   * rotation or a suspension; required when the contract is described with `sessions: true`.
   */
  openSession?(secret: string): Promise<KitSession>;
  /** Optional: makes the target unreachable, to check that such errors are retryable. */
  makeUnavailable?(): Promise<void>;
  cleanup(): Promise<void>;
}

/** A session opened on the target before a change. */
export interface KitSession {
  /** Whether the session still works (a round trip on it succeeds). */
  alive(): Promise<boolean>;
  close(): Promise<void>;
}

export interface ContractOptions {
  /**
   * The target has sessions that outlive a password change (PostgreSQL, MariaDB, Redis,
   * RabbitMQ): the kit checks that rotation, suspension and end_sessions close them.
   */
  readonly sessions?: boolean;
}

export type MakeTarget = () => Promise<ContractTarget>;

async function withTarget(make: MakeTarget, body: (t: ContractTarget, s: StepMaker) => Promise<void>) {
  const target = await make();
  try {
    await body(target, stepFor(target));
  } finally {
    await target.cleanup();
  }
}

async function expectRefused(p: Promise<unknown>, codes: readonly string[]): Promise<void> {
  const error: unknown = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isCustosError(error), 'a CustosError').toBe(true);
  if (!isCustosError(error)) return;
  expect(codes).toContain(error.code);
  expect(error.retryable).toBe(false);
}

export function describeConnectorContract(
  name: string,
  make: MakeTarget,
  options: ContractOptions = {},
): void {
  const AUTH_CODES = ['AUTHORITY_INVALID', 'AUTHORITY_EXPIRED', 'AUTHORITY_SCOPE'];

  describe(`connector contract: ${name}`, () => {
    it('describes the lifecycle actions the kit exercises', async () => {
      await withTarget(make, (t) => {
        const actions: readonly StepAction[] = t.connector.describe().actions;
        for (const a of ['create', 'rotate', 'revoke', 'suspend', 'enable'] as const)
          expect(actions).toContain(a);
        return Promise.resolve();
      });
    });

    it('refuses without authority and with authority for another step, changing nothing', async () => {
      await withTarget(make, async (t, s) => {
        const create = s('run-a', 'create-1', 'create');
        await expectRefused(t.connector.apply(create.step, ''), AUTH_CODES);
        const other = s('run-b', 'create-1', 'create');
        await expectRefused(t.connector.apply(create.step, other.authority), AUTH_CODES);
        const rotate = s('run-a', 'rotate-1', 'rotate');
        await expectRefused(t.connector.apply(create.step, rotate.authority), AUTH_CODES);
        await expectRefused(t.connector.plan(create.step, ''), AUTH_CODES);
        await expectRefused(t.connector.verify(create.step, 'forged'), AUTH_CODES);
        await expectRefused(t.connector.list(t.system, create.authority), AUTH_CODES);
        expect(await listed(t)).toBe(false);
      });
    });

    it('checks a step from the step alone, and plan and apply refuse what the check refuses', async () => {
      await withTarget(make, async (t, s) => {
        // No authority and no target: the engine calls this before a request is filed.
        for (const action of ['create', 'rotate', 'suspend'] as const)
          expect(() => {
            t.connector.checkStep(s('run-c', action, action).step);
          }).not.toThrow();
        const bad = [
          s('run-c', 'create-ttl', 'create', { ttlSeconds: -1 }),
          s('run-c', 'create-list', 'create', { entitlements: 'not a list' }),
        ];
        for (const { step, authority } of bad) {
          // Bad input, or a lifetime the target cannot hold (Redis, RabbitMQ and SCIM have no expiry).
          const checked = (() => {
            try {
              t.connector.checkStep(step);
              return undefined;
            } catch (e) {
              return e;
            }
          })();
          const what = `${JSON.stringify(step.params)}: ${String(checked)}`;
          expect(isCustosError(checked) && !checked.retryable, what).toBe(true);
          const code = (checked as CustosError).code;
          expect(['INPUT_INVALID', 'CONNECTOR_REFUSED'], what).toContain(code);
          await expectRefused(t.connector.plan(step, authority), [code]);
          await expectRefused(t.connector.apply(step, authority), [code]);
        }
        expect(await listed(t)).toBe(false);
      });
    });

    it('creates, then verify confirms it and the new secret logs in', async () => {
      await withTarget(make, async (t, s) => {
        const { step, authority } = s('run-1', 'create', 'create');
        const plan = await t.connector.plan(step, authority);
        expect(plan.effects.length).toBeGreaterThan(0);
        const result = await t.connector.apply(step, authority);
        expect(result.outcome).toBe('applied');
        expect(result.secret?.fingerprint).toMatch(/^hmac-sha256:/);
        expect(JSON.stringify(result.outputs)).not.toContain(result.secret?.value);
        expect((await t.connector.verify(step, authority, result.secret?.value)).ok).toBe(true);
        expect(await t.login(result.secret!.value)).toBe(true);
      });
    });

    it('applies a repeated (run, step) once: already_applied, no second effect', async () => {
      await withTarget(make, async (t, s) => {
        const { step, authority } = s('run-1', 'create', 'create');
        const first = await t.connector.apply(step, authority);
        const second = await t.connector.apply(step, authority);
        expect(second.outcome).toBe('already_applied');
        expect(second.secret).toBeUndefined();
        expect(second.outputs).toEqual(first.outputs);
        expect(await t.login(first.secret!.value)).toBe(true);
        expect((await t.connector.list(t.system, t.authority(listScope(t.system)))).length).toBe(1);
      });
    });

    it('resolves a crash between apply and its record as already_applied', async () => {
      await withTarget(make, async (t, s) => {
        const create = await loginWith(t, s('run-1', 'create', 'create'));
        const { step, authority } = s('run-1', 'rotate', 'rotate', { overlapSeconds: 0 });
        await t.connector.apply(step, authority); // the caller crashes: the result is lost
        const again = await t.connector.apply(step, authority);
        expect(again.outcome).toBe('already_applied');
        expect((await t.connector.verify(step, authority)).ok).toBe(true);
        expect(await t.login(create)).toBe(false);
      });
    });

    it('rotates: the old credential works during the overlap, then only the new one', async () => {
      await withTarget(make, async (t, s) => {
        const old = await loginWith(t, s('run-1', 'create', 'create'));
        const { step, authority } = s('run-2', 'rotate', 'rotate', { overlapSeconds: 60 });
        if (t.rotationOverlap === false) {
          // No dual credentials on this target: an overlap is refused, not silently dropped.
          await expect(t.connector.apply(step, authority)).rejects.toMatchObject({
            code: 'CONNECTOR_REFUSED',
            retryable: false,
          });
          expect(await t.login(old)).toBe(true);
          return;
        }
        const fresh = (await t.connector.apply(step, authority)).secret!.value;
        expect(await t.login(old)).toBe(true);
        expect(await t.login(fresh)).toBe(true);
        expect((await t.connector.verify(step, authority, fresh)).ok).toBe(true);
        await t.advance(61);
        expect(await t.login(old)).toBe(false);
        expect(await t.login(fresh)).toBe(true);
        expect((await t.connector.verify(step, authority, fresh)).ok).toBe(true);
      });
    });

    it('revokes: the old credential fails at once', async () => {
      await withTarget(make, async (t, s) => {
        const old = await loginWith(t, s('run-1', 'create', 'create'));
        const { step, authority } = s('run-2', 'revoke', 'revoke');
        await t.connector.apply(step, authority);
        expect(await t.login(old)).toBe(false);
        expect((await t.connector.verify(step, authority)).ok).toBe(true);
      });
    });

    it('suspends then enables', async () => {
      await withTarget(make, async (t, s) => {
        const secret = await loginWith(t, s('run-1', 'create', 'create'));
        const suspend = s('run-2', 'suspend', 'suspend');
        await t.connector.apply(suspend.step, suspend.authority);
        expect(await t.login(secret)).toBe(false);
        expect((await t.connector.verify(suspend.step, suspend.authority)).ok).toBe(true);
        const enable = s('run-3', 'enable', 'enable');
        await t.connector.apply(enable.step, enable.authority);
        expect(await t.login(secret)).toBe(true);
        expect((await t.connector.verify(enable.step, enable.authority)).ok).toBe(true);
      });
    });

    it('rolls back a rotate to the prior state, and verify confirms it', async () => {
      await withTarget(make, async (t, s) => {
        const old = await loginWith(t, s('run-1', 'create', 'create'));
        const { step, authority } = s('run-2', 'rotate', 'rotate', { overlapSeconds: 0 });
        const prior = await t.connector.readPrior(step, authority);
        const fresh = (await t.connector.apply(step, authority)).secret!.value;
        expect(await t.login(old)).toBe(false);
        if (t.credentialRollback === false) {
          // The old credential cannot be restored on this target: refused, not pretended.
          expect((await t.connector.plan(step, authority)).rollback).toBe('irreversible');
          await expectRefused(t.connector.rollback(step, authority, prior), [
            'CONNECTOR_REFUSED',
            'TARGET_STATE_MISMATCH',
          ]);
          expect(await t.login(fresh)).toBe(true);
          expect(await t.login(old)).toBe(false);
          return;
        }
        await t.connector.rollback(step, authority, prior);
        expect(await t.login(old)).toBe(true);
        expect(await t.login(fresh)).toBe(false);
        expect(await t.connector.readPrior(step, authority)).toEqual(withoutIssuedBy(prior));
        expect((await t.connector.verify(step, authority)).ok).toBe(true);
      });
    });

    it.runIf(options.sessions === true)(
      'ends sessions opened before a rotation, a suspension and an end_sessions step',
      async () => {
        await withTarget(make, async (t, s) => {
          const open = async (secret: string) => {
            if (t.openSession === undefined) throw new TypeError(`${name}: sessions: true needs openSession`);
            const session = await t.openSession(secret);
            expect(await session.alive()).toBe(true);
            return session;
          };
          const first = await loginWith(t, s('run-1', 'create', 'create'));
          const beforeRotation = await open(first);
          const rotate = s('run-2', 'rotate', 'rotate');
          const rotated = (await t.connector.apply(rotate.step, rotate.authority)).secret!.value;
          expect(await beforeRotation.alive()).toBe(false);
          const beforeSuspension = await open(rotated);
          const suspend = s('run-3', 'suspend', 'suspend');
          await t.connector.apply(suspend.step, suspend.authority);
          expect(await beforeSuspension.alive()).toBe(false);
          const enable = s('run-4', 'enable', 'enable');
          await t.connector.apply(enable.step, enable.authority);
          const lingering = await open(rotated);
          const end = s('run-5', 'end', 'end_sessions');
          expect(await t.connector.endSessions(end.step, end.authority)).toBeGreaterThanOrEqual(1);
          expect(await lingering.alive()).toBe(false);
          await Promise.all([beforeRotation, beforeSuspension, lingering].map((x) => x.close()));
        });
      },
    );

    it('lists the identity', async () => {
      await withTarget(make, async (t, s) => {
        await loginWith(t, s('run-1', 'create', 'create'));
        expect(await listed(t)).toBe(true);
      });
    });

    it('says whether errors are retryable', async () => {
      await withTarget(make, async (t, s) => {
        const { step } = s('run-1', 'create', 'create');
        await expectRefused(t.connector.apply(step, ''), AUTH_CODES);
        if (t.makeUnavailable === undefined) return;
        await t.makeUnavailable();
        const error: unknown = await t.connector
          .apply(step, t.authority(scopeOf(step)))
          .catch((e: unknown) => e);
        expect(isCustosError(error) && error.retryable).toBe(true);
      });
    });
  });
}

async function listed(t: ContractTarget): Promise<boolean> {
  const accounts = await t.connector.list(t.system, t.authority(listScope(t.system)));
  return accounts.some((a) => a.externalId === t.identity.externalId);
}

/** Prior state compared after rollback: the step's own (now revoked) credential may remain listed. */
function withoutIssuedBy(prior: Readonly<Record<string, JsonValue>>): unknown {
  const before = prior['credentials'];
  const credentials: unknown = expect.arrayContaining(Array.isArray(before) ? (before as unknown[]) : []);
  return expect.objectContaining({ ...prior, credentials }) as unknown;
}
