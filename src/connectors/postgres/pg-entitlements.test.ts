/** The entitlement grammar: what requesters and the inventory write, and what it must refuse. */
import { describe, expect, it } from 'vitest';
import type { JsonValue } from '../../core/canonical-json.js';
import { isCustosError } from '../../core/errors.js';
import { entitlementsOf, parseEntitlement } from './pg-entitlements.js';
import { grantStatement } from './pg-grants.js';

const refusal = (f: () => unknown): { code: string; message: string } | 'accepted' => {
  try {
    f();
  } catch (e) {
    return isCustosError(e) ? { code: e.code, message: e.message } : { code: 'other', message: String(e) };
  }
  return 'accepted';
};

describe('parseEntitlement', () => {
  it('reads the forms the inventory and requesters use', () => {
    expect(parseEntitlement('SELECT ON TABLE public.orders')).toEqual([
      { privilege: 'SELECT', on: 'table', name: 'public.orders' },
    ]);
    expect(parseEntitlement('USAGE ON SCHEMA reporting')).toEqual([
      { privilege: 'USAGE', on: 'schema', name: 'reporting' },
    ]);
    expect(parseEntitlement('CONNECT ON DATABASE payments')).toEqual([
      { privilege: 'CONNECT', on: 'database', name: 'payments' },
    ]);
    expect(parseEntitlement('SELECT ON ALL TABLES IN SCHEMA reporting')).toEqual([
      { privilege: 'SELECT', on: 'all_tables_in_schema', name: 'reporting' },
    ]);
    expect(parseEntitlement('pg_read_all_data')).toEqual([
      { privilege: 'MEMBER', on: 'role', name: 'pg_read_all_data' },
    ]);
    expect(parseEntitlement('app_read')).toEqual([{ privilege: 'MEMBER', on: 'role', name: 'app_read' }]);
  });

  it('takes keywords in any case, lists of privileges, TEMP, and expands ALL to the allow-list', () => {
    expect(parseEntitlement('select, Insert on table public.orders').map((g) => g.privilege)).toEqual([
      'SELECT',
      'INSERT',
    ]);
    expect(parseEntitlement('TEMP ON DATABASE payments')[0]!.privilege).toBe('TEMPORARY');
    expect(parseEntitlement('ALL ON SCHEMA payments').map((g) => g.privilege)).toEqual(['USAGE', 'CREATE']);
    expect(parseEntitlement('ALL PRIVILEGES ON DATABASE payments').map((g) => g.privilege)).toEqual([
      'CONNECT',
      'CREATE',
      'TEMPORARY',
    ]);
    expect(parseEntitlement('ALL ON ALL TABLES IN SCHEMA reporting')).toHaveLength(7);
  });

  it('builds statements only from parsed, quoted parts', () => {
    const [g] = parseEntitlement('select on table public.orders');
    expect(grantStatement('GRANT', g!, 'svc')).toBe('GRANT SELECT ON TABLE "public"."orders" TO "svc"');
    const [all] = parseEntitlement('SELECT ON ALL TABLES IN SCHEMA reporting');
    expect(grantStatement('REVOKE', all!, 'svc')).toBe(
      'REVOKE SELECT ON ALL TABLES IN SCHEMA "reporting" FROM "svc"',
    );
    const [member] = parseEntitlement('pg_read_all_data');
    expect(grantStatement('GRANT', member!, 'svc')).toBe('GRANT "pg_read_all_data" TO "svc"');
  });

  it('refuses hostile and off-list entitlements as bad input (INPUT_INVALID), naming them', () => {
    const hostile: JsonValue[] = [
      'SELECT ON TABLE public.orders; DROP ROLE postgres',
      'SELECT ON TABLE public.orders TO postgres',
      'SELECT ON TABLE public.orders WITH GRANT OPTION',
      'SELECT ON TABLE "public"."orders"',
      "SELECT ON TABLE public.orders' --",
      'SELECT ON TABLE public.Orders',
      'SELECT ON TABLE orders',
      'SELECT ON TABLE a.b.c',
      'SELECT ON TABLE pg_catalog.pg_authid',
      'SELECT ON TABLE custos.applied_steps',
      'SELECT ON TABLE information_schema.tables',
      'USAGE ON SCHEMA custos',
      'SELECT ON ALL TABLES IN SCHEMA pg_catalog',
      'SUPERUSER ON DATABASE payments',
      'EXECUTE ON FUNCTION public.f',
      'SELECT ON SEQUENCE public.s',
      'USAGE ON TABLE public.orders',
      'SELECT, ALL ON TABLE public.orders',
      'SELECT,INSERT ON TABLE public.orders',
      'SELECT  ON TABLE public.orders',
      ' SELECT ON TABLE public.orders',
      'SELECT ON TABLE public.orders\n',
      'ſelect ON TABLE public.orders',
      'CONNECT ON DATABASE Payments',
      'superuser',
      'createrole',
      'public',
      'pg_execute_server_program',
      'pg_write_server_files',
      'pg_signal_backend',
      'App_Read',
      'payments:read',
      'x'.repeat(300),
      '',
      42,
      null,
      { privilege: 'SELECT', on: 'table', name: 'public.orders' },
    ];
    for (const text of hostile) {
      const result = refusal(() => parseEntitlement(text));
      expect(result, JSON.stringify(text)).not.toBe('accepted');
      expect(result).toMatchObject({ code: 'INPUT_INVALID' });
      if (typeof text === 'string' && text.length > 0 && text.length <= 80 && result !== 'accepted') {
        expect(result.message).toContain(JSON.stringify(text));
      }
    }
  });

  it('says why the entitlements that would reach beyond the data are refused', () => {
    for (const [text, why] of [
      ['SELECT ON TABLE pg_authid', 'needs schema.table'],
      ['SELECT ON TABLE pg_catalog.pg_authid', 'system schema pg_catalog'],
      ['USAGE ON SCHEMA custos', 'system schema custos'],
      ['superuser', 'role attribute'],
      ['pg_execute_server_program', 'predefined role'],
      ['TRUNCATE ON DATABASE payments', 'does not grant on a database'],
    ] as const) {
      expect(
        refusal(() => parseEntitlement(text)),
        text,
      ).toMatchObject({
        message: expect.stringContaining(why) as unknown,
      });
    }
  });
});

describe('entitlementsOf', () => {
  it('distinguishes no entitlements (undefined) from an empty list, and deduplicates', () => {
    expect(entitlementsOf({})).toBeUndefined();
    expect(entitlementsOf({ entitlements: [] })).toEqual([]);
    const grants = entitlementsOf({
      entitlements: ['SELECT ON TABLE public.orders', 'select on table public.orders', 'ALL ON SCHEMA app'],
    });
    expect(grants?.map((g) => `${g.privilege} ${g.name}`)).toEqual([
      'SELECT public.orders',
      'USAGE app',
      'CREATE app',
    ]);
  });

  it('refuses a non-list, and the retired params.grants rather than ignoring it', () => {
    expect(refusal(() => entitlementsOf({ entitlements: 'SELECT ON TABLE public.orders' }))).toMatchObject({
      code: 'INPUT_INVALID',
    });
    const grants = [{ privilege: 'SELECT', on: 'table', name: 'public.orders' }];
    expect(refusal(() => entitlementsOf({ grants }))).toMatchObject({
      code: 'INPUT_INVALID',
      message: expect.stringContaining('params.entitlements') as unknown,
    });
    expect(refusal(() => entitlementsOf({ entitlements: ['app_read', 'superuser'] }))).toMatchObject({
      message: expect.stringContaining('"superuser"') as unknown,
    });
  });
});
