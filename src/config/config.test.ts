import { describe, expect, it } from 'vitest';
import { parseConfig, redactUrl } from './config.js';

describe('config', () => {
  it('defaults to ./.custos with no secrets and no database', () => {
    const c = parseConfig({ env: {}, cwd: '/srv/app' });
    expect(c.dataDir).toBe('/srv/app/.custos');
    expect(c.keysDir).toBe('/srv/app/.custos/keys');
    expect(c.databaseUrl).toBeUndefined();
  });

  it('flags win over the environment', () => {
    const c = parseConfig({ env: { CUSTOS_DATA_DIR: '/a' }, flags: { 'data-dir': '/b' }, cwd: '/' });
    expect(c.dataDir).toBe('/b');
  });

  it('rejects a non-PostgreSQL database URL without echoing it', () => {
    try {
      parseConfig({ env: { CUSTOS_DATABASE_URL: 'mysql://u:hunter2@h/db' }, cwd: '/' });
      expect.unreachable();
    } catch (e) {
      expect(e).toMatchObject({ code: 'CONFIG_INVALID', details: { field: 'databaseUrl' } });
      expect((e as Error).message).not.toContain('hunter2');
    }
  });

  it('redacts passwords in URLs', () => {
    expect(redactUrl('postgres://u:hunter2@h:5432/db')).toBe('postgres://u:***@h:5432/db');
  });
});
