/**
 * An initialised installation (as `custos init` leaves it) on a fresh store of either kind, with
 * the example inventory imported and the example bundle deployed and approved by its policy owner,
 * and a LocalService over it. Approvers' keys are generated here; only their public halves are
 * registered, through the service.
 */
import fs from 'node:fs';
import path from 'node:path';
import { generateApproverKey, signApproval, type GeneratedApproverKey } from '../../src/approvals/index.js';
import { parseConfig } from '../../src/config/config.js';
import { createLogKeys, keyPaths } from '../../src/keys/index.js';
import { openCustos, type Custos } from '../../src/main.js';
import type { Run } from '../../src/runs/index.js';
import { LocalService } from '../../src/service/index.js';
import type { StoreKind } from '../support/stores.js';

export const EXAMPLES = path.resolve(import.meta.dirname, '../../examples');

export interface Installation {
  readonly custos: Custos;
  readonly service: LocalService;
  close(): Promise<void>;
}

export async function createInstallation(kind: StoreKind): Promise<Installation> {
  const settings = await kind.fresh();
  const flags: Record<string, string> = { 'data-dir': settings.dataDir };
  if (settings.databaseUrl !== undefined) flags['database-url'] = settings.databaseUrl;
  const config = parseConfig({ env: {}, flags, cwd: settings.dataDir });
  createLogKeys(config.keysDir, 'test.custos/api');
  const custos = await openCustos(config);
  const verifierKey = fs.readFileSync(keyPaths(config.keysDir).logVkey, 'utf8').trim();
  await custos.ledger.create(verifierKey.split('+')[0]!, verifierKey);
  await custos.ledger.checkpoint();
  const text = fs.readFileSync(path.join(EXAMPLES, 'inventory.yaml'), 'utf8');
  await custos.inventory.import({ file: 'inventory.yaml', text }, { actor: 'person:alice' });
  const service = new LocalService(custos);
  const files = bundleFiles();
  const version = await service.deployBundle({ principal: 'person:alice' }, { files });
  await service.approveBundle({ principal: 'person:paula' }, { hash: version.hash, rationale: 'reviewed' });
  return { custos, service, close: () => custos.close() };
}

/** The example bundle as the API takes it: paths and base64 contents. */
export function bundleFiles(): { path: string; content: string }[] {
  const root = path.join(EXAMPLES, 'bundle');
  return fs
    .readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => {
      const full = path.join(e.parentPath, e.name);
      return {
        path: path.relative(root, full).split(path.sep).join('/'),
        content: fs.readFileSync(full).toString('base64'),
      };
    });
}

/** Generates a person's approval key and registers its public half through the service. */
export async function approverKey(
  service: Pick<LocalService, 'registerKey'>,
  principal: string,
): Promise<GeneratedApproverKey> {
  const key = generateApproverKey(principal);
  await service.registerKey({ principal }, { principal, publicKey: key.publicKey });
  return key;
}

export function signed(key: GeneratedApproverKey, run: Run, decision: 'approve' | 'deny' = 'approve') {
  return signApproval({
    privateKeyPem: key.privateKeyPem,
    keyId: key.keyId,
    principal: key.principal,
    runId: run.id,
    digest: run.digest!,
    decision,
    rationale: decision === 'approve' ? 'reviewed: in scope' : 'not justified',
    signedAt: new Date(),
  });
}

/** A low-risk token the CI pipeline may have at once (auto route). */
export const CI_TOKEN = {
  action: 'create',
  resource: { new: { name: 'payments-deploy', kind: 'token', system: 'tokens', tags: ['service:payments'] } },
  context: { durationMinutes: 60 },
} as const;

/** A token an engineer asks for: medium risk, one approval from group:platform. */
export const ENGINEER_KEY = {
  action: 'create',
  resource: { new: { name: 'eve-metrics-key', kind: 'api_key', system: 'tokens' } },
  context: { durationMinutes: 10080 },
} as const;

/** An engineer asks to waive a token control for a week: no effect on the target; security approves. */
export const EXCEPTION = {
  action: 'exception',
  resource: { identity: 'payments-api-token' },
  context: {
    durationMinutes: 10080,
    control: 'rotation-30d',
    compensatingControl: 'token bound to the payments egress addresses',
  },
} as const;
