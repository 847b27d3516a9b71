/**
 * `npm start` (`custos quickstart`): on a fresh machine with no server running, initialises an
 * embedded store in ./.custos, imports the example inventory, starts the API on a free localhost
 * port, deploys the example bundle (approved by its policy owner), and plays the narrated scenario
 * through the HTTP API with an API token per person or service — as their own tools would. It ends
 * with the ledger verified live and offline, and what to try next.
 *
 * The scenario runs on a clock that starts 61 minutes in the past: scene 6 jumps it to the present,
 * when a one-hour break-glass grant has expired. Nothing is ever dated in the future.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { parseConfig } from '../../config/index.js';
import { CustosError } from '../../core/errors.js';
import { startApiServer } from '../../api/index.js';
import { keyPaths } from '../../keys/index.js';
import { bootstrapAdminToken } from '../../service/index.js';
import type { AccessLogEntry } from '../../api/index.js';
import { initialise } from '../commands/init.js';
import { EXIT, type CliIo, type ParsedArgs } from '../io.js';
import { assembleCast } from './cast.js';
import { narrator } from './narrator.js';
import { resolvePgTarget } from './pg-target.js';
import { sceneLedger } from './scene-ledger.js';
import {
  sceneBreakGlass,
  sceneOutage,
  scenePrivilegedGrant,
  type PgSceneContext,
} from './scenes-postgres.js';
import { sceneIssueToken, sceneRotate, sceneSelfApproval } from './scenes-tokens.js';
import { DOWNSTREAM, EXAMPLES, examplesPresent, quickstartInventory } from './setup.js';
import { bundleFiles } from '../bundle-files.js';
import { prepareWorkspace } from './workspace.js';
import { tryNext } from './try-next.js';

const ADMIN = 'person:alice';
const MEMBERS = [
  ADMIN,
  'person:pat',
  'person:paula',
  'person:eve',
  'person:dan',
  'person:sam',
  'person:sara',
  'service:ci-pipeline',
  DOWNSTREAM,
];
const APPROVERS = [ADMIN, 'person:dan', 'person:sam'];
const BEHIND_MS = 61 * 60_000;

export async function quickstartCommand(args: ParsedArgs, io: CliIo): Promise<number> {
  const started = performance.now();
  if (!examplesPresent())
    throw new CustosError('NOT_FOUND', 'the quickstart runs from a Custos checkout: examples/ was not found');
  const config = parseConfig({ env: io.env, flags: args.flags, cwd: io.cwd });
  let offset = -BEHIND_MS;
  const now = () => new Date(Date.now() + offset);
  const n = narrator(io);
  n.title('Custos quickstart: accountable automation for non-human identities');
  const workspace = await prepareWorkspace(config, new Date());
  if (workspace.movedAside !== undefined)
    n.say(`A previous quickstart's store was moved aside to ${workspace.movedAside}; this one starts over.`);
  const closers: (() => Promise<void>)[] = [];
  try {
    const custos = await initialise(args, io, now);
    closers.push(() => custos.close());
    const tag = crypto.randomBytes(3).toString('hex');
    const choice = await resolvePgTarget(io.env, tag, args.bools.has('no-postgres'));
    if (choice.target !== undefined) closers.push(() => choice.target.close());
    const imported = await custos.inventory.import(
      {
        file: 'examples/inventory.yaml',
        text: quickstartInventory(choice.target?.connection),
        format: 'yaml',
      },
      { actor: ADMIN },
    );
    if (choice.target !== undefined) {
      // The source-of-truth gate wants a recent reconciliation of pg-prod; reconciliation proper arrives
      // with the reconciler: here the admin records that the target matches (it holds none of our roles).
      await custos.inventory.recordReconciliation('pg-prod', {
        at: now(),
        openCriticalFindings: 0,
        actor: ADMIN,
      });
    }
    const admin = await bootstrapAdminToken(custos, {
      principal: ADMIN,
      name: 'quickstart',
      expiresInDays: 1,
    });
    // The access log would interleave with the narration: keep it, and count what went over HTTP.
    const requests: AccessLogEntry[] = [];
    const server = await startApiServer({ custos, host: '127.0.0.1', port: 0, log: (e) => requests.push(e) });
    closers.push(() => server.close());
    const cast = await assembleCast({
      baseUrl: server.url,
      admin: { principal: ADMIN, token: admin.token },
      members: MEMBERS,
      approvers: APPROVERS,
      keyDir: path.join(config.dataDir, 'approver-keys'),
      now,
    });
    const filed = await cast.call('person:pat', 'deployBundle', {
      files: bundleFiles(path.join(EXAMPLES, 'bundle')),
    });
    const bundle = await cast.call('person:paula', 'approveBundle', {
      hash: filed.hash,
      rationale: 'reviewed',
    });
    if (bundle.status !== 'active')
      throw new CustosError('INTERNAL_ERROR', `the example bundle is ${bundle.status}`);

    n.fact('store', `${custos.store.description} (fresh)`);
    n.fact(
      'inventory',
      `examples/inventory.yaml, ${imported.items.length} entries, imported by ${ADMIN} ` +
        `(records #${imported.records[0]?.index ?? '-'}–#${imported.records.at(-1)?.index ?? '-'})`,
    );
    n.fact(
      'bundle',
      `${bundle.name} ${bundle.versionLabel} ${bundle.hash}: filed by person:pat, approved by its ` +
        'policy owner person:paula, active',
    );
    n.fact('API', `${server.url}: every step below is an HTTP call with the actor's own API token`);
    n.fact('PostgreSQL', choice.target?.description ?? `none (${choice.why})`);

    const ctx = { cast, n, bundleHash: bundle.hash };
    const tokens = await sceneIssueToken(ctx);
    const pg: PgSceneContext | undefined =
      choice.target === undefined
        ? undefined
        : { ...ctx, target: choice.target, identity: `payments_migrations${choice.target.roleSuffix}` };
    if (pg === undefined)
      n.skipped(2, 'A privileged grant needs two approvers from two groups', choice.why ?? '');
    else await scenePrivilegedGrant(pg);
    await sceneRotate(ctx, tokens);
    await sceneSelfApproval(ctx);
    if (pg === undefined) {
      n.skipped(5, 'A failing target pauses a run; a named person resumes it', choice.why ?? '');
      n.skipped(6, 'Break-glass: granted at once, revoked automatically at expiry', choice.why ?? '');
      offset = 0;
    } else {
      await sceneOutage(pg);
      await sceneBreakGlass(pg, {
        jumpToPresent: () => {
          offset = 0;
        },
        tick: async () => (await custos.runs()).tick(),
      });
    }
    const verifierKey = fs.readFileSync(keyPaths(config.keysDir).logVkey, 'utf8').trim();
    const ledger = await sceneLedger(ctx, path.join(config.dataDir, 'evidence'), verifierKey);
    const skipped = pg === undefined ? 3 : 0;
    const failed = requests.filter((r) => r.status >= 500);
    if (failed.length > 0)
      throw new CustosError('INTERNAL_ERROR', `the API answered ${failed.length} request(s) with a 5xx`);
    tryNext(io, {
      dataDir: config.dataDir,
      verifierKey,
      evidenceDir: ledger.evidenceDir,
      skipped,
      seconds: (performance.now() - started) / 1000,
      httpRequests: requests.length,
    });
    return EXIT.ok;
  } finally {
    for (const close of closers.reverse()) await close();
  }
}
