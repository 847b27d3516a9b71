/**
 * The run engine as an installation opens it (openCustos after `custos init`): its keys live in the
 * keys directory (0600, created once, the same after a restart), the token issuer keeps its state in
 * a store of its own, and a token issued before a restart still verifies after it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/config.js';
import { importInventory } from '../../src/inventory/index.js';
import { runKeyPaths } from '../../src/keys/index.js';
import { openCustos } from '../../src/main.js';
import { loadBundle } from '../../src/policy/index.js';
import { custos } from '../support/cli.js';
import { tempDir } from '../support/stores.js';

const EXAMPLES = path.resolve(import.meta.dirname, '../../examples');

describe('the run engine in an installation', () => {
  it('keeps its keys on disk and its issued tokens valid across a restart', async () => {
    const base = tempDir();
    const dataDir = path.join(base, 'data');
    expect(custos(['init', '--data-dir', dataDir]).code).toBe(0);
    const config = parseConfig({ env: {}, flags: { 'data-dir': dataDir }, cwd: base });

    let app = await openCustos(config);
    const text = fs.readFileSync(path.join(EXAMPLES, 'inventory.yaml'), 'utf8');
    await importInventory(app.inventory, { file: 'inventory.yaml', text }, { actor: 'person:alice' });
    const bundle = loadBundle(path.join(EXAMPLES, 'bundle'));
    await app.bundles.file(bundle, 'person:pat');
    await app.bundles.decide(bundle.hash, 'person:paula', 'approve');
    const engine = await app.runs();
    const filed = await engine.file({
      request: {
        principal: 'service:ci-pipeline',
        action: 'create',
        resource: {
          new: { name: 'payments-deploy', kind: 'token', system: 'tokens', tags: ['service:payments'] },
        },
        context: { durationMinutes: 60, justification: 'deploy' },
      },
      requester: 'service:ci-pipeline',
      justification: 'deploy payments',
      idempotencyKey: 'deploy-1',
    });
    const { run, secrets } = await engine.advance(filed.id);
    expect(run.state).toBe('completed');
    const paths = runKeyPaths(config.keysDir);
    const before = {
      authority: fs.readFileSync(paths.authority, 'utf8'),
      tokens: fs.readFileSync(paths.tokens, 'utf8'),
    };
    for (const file of Object.values(paths)) expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    await app.close();

    app = await openCustos(config);
    const again = await app.runs();
    expect(await again.recover()).toEqual([]);
    expect(fs.readFileSync(paths.authority, 'utf8')).toBe(before.authority);
    expect(fs.readFileSync(paths.tokens, 'utf8')).toBe(before.tokens);
    // The token issued before the restart is still recognised: revoking it runs and verifies.
    const revoke = await again.file({
      request: {
        principal: 'service:ci-pipeline',
        action: 'revoke',
        resource: { identity: 'payments-api-token' },
      },
      requester: 'service:ci-pipeline',
      justification: 'done',
      idempotencyKey: 'revoke-1',
    });
    expect(revoke.state).toBe('requested');
    expect(secrets[0]!.value).toMatch(/^ey/);
    await app.close();
  });
});
