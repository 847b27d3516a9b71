import { describe, expect, it } from 'vitest';
import { isCustosError } from '../../core/errors.js';
import { parseConnection } from './scim-connection.js';
import { clean, httpError, retryAfterOf } from './scim-errors.js';
import { redactPasswords } from './scim-http.js';
import { journalOf, newJournal, withEntry, CUSTOS_EXTENSION } from './scim-journal.js';

const system = (connection: Record<string, string | boolean | number>) => ({
  id: 'sys',
  type: 'scim',
  environment: 'test',
  connection: { token: 'env:T', ...connection },
});

describe('connection settings', () => {
  it('reads the group allow-list as comma-separated names', () => {
    const conn = parseConnection(
      system({ baseUrl: 'https://app.example/scim', groups: 'CRM Readers, crm writers' }),
    );
    expect([...(conn.groups ?? [])]).toEqual(['crm readers', 'crm writers']);
  });

  it('takes https, and http only when allowed', () => {
    expect(parseConnection(system({ baseUrl: 'https://app.example/scim/v2/' })).baseUrl).toBe(
      'https://app.example/scim/v2',
    );
    expect(
      parseConnection(system({ baseUrl: 'http://127.0.0.1:1/scim', allowInsecureHttp: true })).baseUrl,
    ).toBe('http://127.0.0.1:1/scim');
    for (const bad of [
      { baseUrl: 'http://app.example/scim' },
      { baseUrl: 'https://u:p@app.example/scim' },
      { baseUrl: 'https://app.example/scim?x=1' },
      { baseUrl: 'ftp://app.example/scim', allowInsecureHttp: true },
      { baseUrl: 'scim' },
      { baseUrl: 'https://app.example/scim', loginUrl: 'http://app.example/login' },
      { baseUrl: 'https://app.example/scim', timeoutSeconds: 0 },
      { baseUrl: 'https://app.example/scim', groups: 'Readers,,Writers' },
      { baseUrl: 'https://app.example/scim', groups: 'Readers, "Admins"' },
    ]) {
      let error: unknown;
      try {
        parseConnection(system(bad));
      } catch (e) {
        error = e;
      }
      expect(isCustosError(error, 'CONFIG_INVALID'), JSON.stringify(bad)).toBe(true);
    }
  });
});

describe('what is logged and reported', () => {
  it('redacts passwords in bodies and in PATCH operations on password', () => {
    const body = {
      userName: 'svc',
      password: 'hunter2',
      Operations: [
        { op: 'replace', path: 'password', value: 'hunter3' },
        { op: 'replace', path: 'PASSWORD', value: 'hunter4' },
        { op: 'replace', value: { password: 'hunter5', active: true } },
        { op: 'replace', path: 'active', value: false },
      ],
    };
    const text = JSON.stringify(redactPasswords(body));
    for (const secret of ['hunter2', 'hunter3', 'hunter4', 'hunter5']) expect(text).not.toContain(secret);
    expect(text).toContain('"path":"active","value":false');
  });

  it('cuts secrets and control characters out of a service detail, and keeps it short', () => {
    expect(clean('bad value hunter2 for password', ['hunter2'], 300)).toBe(
      'bad value <redacted> for password',
    );
    expect(clean('a\nb\u0007c', [], 300)).toBe('a b c');
    expect(clean('x'.repeat(400), [], 300)).toHaveLength(301);
  });

  it('classifies statuses: 429 and 5xx retryable (not 501), other 4xx refused', () => {
    const ctx = { what: 'GET /Users', redact: [] };
    for (const [status, retryable] of [
      [429, true],
      [500, true],
      [502, true],
      [503, true],
      [501, false],
      [400, false],
      [401, false],
      [404, false],
      [409, false],
      [302, false],
    ] as const) {
      const e = httpError(status, { scimType: 'invalidValue', detail: 'd' }, ctx, null);
      expect([status, e.retryable]).toEqual([status, retryable]);
      expect(e.code).toBe(retryable ? 'CONNECTOR_UNAVAILABLE' : 'CONNECTOR_REFUSED');
    }
  });

  it('reads Retry-After as seconds or an HTTP-date', () => {
    const now = new Date('2030-01-01T00:00:00Z');
    expect(retryAfterOf('7', now)).toBe(7);
    expect(retryAfterOf('Tue, 01 Jan 2030 00:00:30 GMT', now)).toBe(30);
    expect(retryAfterOf('soon', now)).toBeNull();
    expect(retryAfterOf(null, now)).toBeNull();
  });
});

describe('the journal on the user', () => {
  it('replaces the entry of the same step and keeps the newest 20', () => {
    let journal = newJournal('sys', 'id');
    for (let i = 0; i < 25; i++) {
      journal = withEntry(journal, { run: `r${i}`, step: 's', action: 'grant', at: 'now', outputs: { i } });
    }
    expect(journal.steps.map((e) => e.run)).toEqual(Array.from({ length: 20 }, (_, i) => `r${i + 5}`));
    journal = withEntry(journal, {
      run: 'r10',
      step: 's',
      action: 'grant',
      at: 'now',
      outputs: { again: true },
    });
    expect(journal.steps).toHaveLength(20);
    expect(journal.steps[5]?.outputs).toEqual({ again: true });
  });

  it('reads back what it wrote, and refuses a malformed journal', () => {
    const journal = newJournal('sys', 'id');
    expect(journalOf({ [CUSTOS_EXTENSION]: { journal: JSON.stringify(journal) } })).toEqual(journal);
    expect(journalOf({})).toBeUndefined();
    for (const bad of ['{', '{"v":2}', 42]) {
      expect(() => journalOf({ [CUSTOS_EXTENSION]: { journal: bad } })).toThrow(/malformed/);
    }
  });
});
