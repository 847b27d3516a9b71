/**
 * `custos workflows lint|test|diff|deploy|approve|reject|versions|show`: policy-as-code bundles.
 * lint/test/diff are read-only; deploy files a governed change that the bundle's policy owners
 * approve (never its author or filer); only then does the version become active.
 */
import fs from 'node:fs';
import path from 'node:path';
import { CustosError } from '../../core/errors.js';
import { parse as parseYaml } from 'yaml';
import {
  decide,
  diffBundles,
  formatBundleDiff,
  formatGoldenReport,
  formatProblems,
  lintBundle,
  loadBundle,
  runGoldenCases,
  type Decision,
  type DecisionRequest,
  type LoadedBundle,
} from '../../policy/index.js';
import {
  decideAndRecord,
  recordedRequests,
  requestFromInventory,
  type PlainRequest,
} from '../../workflows/index.js';
import type { BundleVersion } from '../../workflows/index.js';
import type { Custos } from '../../main.js';
import { EXIT, type CliIo, type ParsedArgs } from '../io.js';
import { serverUrl } from '../args.js';
import { printJson, printTable, withCustos } from './open.js';

const USAGE =
  'usage: custos workflows lint DIR | test DIR | diff OLD NEW | deploy DIR --as P | approve HASH --as P [--rationale R]' +
  ' | reject HASH --as P --rationale R | versions | show HASH | decide --request FILE [--bundle B] [--record --as P]';

/** What a server can do for `workflows`; lint, test, diff and decide stay local. */
const REMOTE = new Set(['versions', 'show', 'deploy', 'approve', 'reject']);

export async function workflowsCommand(args: ParsedArgs, io: CliIo): Promise<number> {
  const [sub, a, b] = args.positional;
  if (serverUrl(args, io) !== undefined && sub !== undefined && REMOTE.has(sub)) {
    const checked = (dir: string) => lint(dir, io) === EXIT.ok && test(dir, io) === EXIT.ok;
    return (await import('./workflows-remote.js')).remoteWorkflowsCommand(args, io, checked, describe);
  }
  switch (sub) {
    case 'lint':
      return lint(need(a), io);
    case 'test':
      return test(need(a), io);
    case 'diff':
      return withCustos(args, io, async (custos) => {
        const oldBundle = await resolve(custos, need(a), io);
        const newBundle = await resolve(custos, need(b), io);
        const recorded = await replayable(custos, newBundle, io);
        const diff = diffBundles(oldBundle, newBundle, recorded);
        if (args.bools.has('json')) printJson(io, diff);
        else io.out(`${formatBundleDiff(diff)}\n`);
        return EXIT.ok;
      });
    case 'decide':
      return withCustos(args, io, async (custos) => {
        const file = args.flags['request'];
        if (file === undefined)
          throw new CustosError(
            'INPUT_INVALID',
            'usage: custos workflows decide --request FILE [--bundle DIR|HASH] [--record --as P]',
          );
        const bundle = await resolve(custos, args.flags['bundle'] ?? 'active', io);
        const plain = parseYaml(fs.readFileSync(path.resolve(io.cwd, file), 'utf8')) as PlainRequest;
        let decision: Decision;
        if (args.bools.has('record')) {
          const who = actingPrincipal(args, io);
          const principal = await custos.inventory.getPrincipal(who);
          if (principal === undefined || principal.kind === 'group') {
            throw new CustosError('PRINCIPAL_UNKNOWN', `${who} is not a known person or service`);
          }
          const actor = { kind: principal.kind === 'person' ? 'human' : 'non_human', id: who } as const;
          decision = (await decideAndRecord(custos, bundle, plain, actor)).decision;
        } else {
          decision = decide(bundle, await requestFromInventory(custos.inventory, bundle, plain));
        }
        if (args.bools.has('json')) printJson(io, decision);
        else printTable(io, describeDecision(decision));
        return decision.allowed ? EXIT.ok : EXIT.verifyFailed;
      });
    case 'deploy':
      return withCustos(args, io, async (custos) => {
        const dir = path.resolve(io.cwd, need(a));
        if (lint(dir, io) !== EXIT.ok || test(dir, io) !== EXIT.ok) return EXIT.usage;
        const version = await custos.bundles.file(loadBundle(dir), actingPrincipal(args, io));
        io.out(
          `filed ${version.hash} (${version.name} ${version.versionLabel}); awaiting approval by ` +
            `${version.requiredApprovers.join(', ')}\n`,
        );
        if (version.changes.length > 0)
          io.out(`changes ${version.changes.length} decision(s): ${version.changes.join(', ')}\n`);
        return EXIT.ok;
      });
    case 'approve':
    case 'reject':
      return withCustos(args, io, async (custos) => {
        const version = await custos.bundles.decide(
          need(a),
          actingPrincipal(args, io),
          sub,
          args.flags['rationale'],
        );
        io.out(`${version.hash}: ${version.status}\n`);
        return EXIT.ok;
      });
    case 'versions':
      return withCustos(args, io, async (custos) => {
        const versions = await custos.bundles.list();
        if (args.bools.has('json')) printJson(io, versions);
        else
          for (const v of versions)
            io.out(`${v.status.padEnd(10)} ${v.hash}  ${v.name} ${v.versionLabel}  filed by ${v.filedBy}\n`);
        return EXIT.ok;
      });
    case 'show':
      return withCustos(args, io, async (custos) => {
        const version = await custos.bundles.get(need(a));
        if (version === undefined) throw new CustosError('NOT_FOUND', `no bundle version ${need(a)}`);
        if (args.bools.has('json')) printJson(io, version);
        else printTable(io, describe(version));
        return EXIT.ok;
      });
    default:
      throw new CustosError('INPUT_INVALID', USAGE);
  }
}

/** Recorded decisions, rebuilt from the inventory's current state; ones that no longer resolve are skipped. */
async function replayable(custos: Custos, bundle: LoadedBundle, io: CliIo): Promise<DecisionRequest[]> {
  const out: DecisionRequest[] = [];
  for (const plain of await recordedRequests(custos.ledger)) {
    try {
      out.push(await requestFromInventory(custos.inventory, bundle, plain));
    } catch (e) {
      io.err(`skipping a recorded decision: ${e instanceof Error ? e.message : String(e)}\n`);
    }
  }
  return out;
}

function describeDecision(d: Decision): [string, string][] {
  return [
    ['decision', d.allowed ? 'allow' : 'deny'],
    ['risk tier', d.riskTier ?? '-'],
    ['workflow', d.workflow ?? '-'],
    ['route', d.route === undefined ? '-' : `${d.route.name} (${d.route.mode})`],
    [
      'approvals',
      d.route?.requirements
        .map((r) => `${r.count} of ${r.group}`)
        .join(d.route.ordered ? ' then ' : ' and ') || '-',
    ],
    ['policies', d.determiningPolicies.join(', ') || '-'],
    ['reasons', d.reasons.join('; ') || '-'],
    ['bundle', d.bundleHash],
  ];
}

function need(value: string | undefined): string {
  if (value === undefined) throw new CustosError('INPUT_INVALID', USAGE);
  return value;
}

function lint(dir: string, io: CliIo): number {
  const problems = lintBundle(dir);
  if (problems.length > 0) {
    io.err(`${formatProblems(problems)}\n${problems.length} problem(s) in ${dir}\n`);
    return EXIT.usage;
  }
  io.out(`lint ok: ${dir}\n`);
  return EXIT.ok;
}

function test(dir: string, io: CliIo): number {
  const report = runGoldenCases(loadBundle(dir));
  io.out(`${formatGoldenReport(report)}\n`);
  return report.failed === 0 ? EXIT.ok : EXIT.verifyFailed;
}

/** A bundle directory, `active`, or a stored version's hash. */
async function resolve(custos: Custos, ref: string, io: CliIo): Promise<LoadedBundle> {
  const dir = path.resolve(io.cwd, ref);
  if (fs.existsSync(dir)) return loadBundle(dir);
  const reg = custos.bundles;
  if (ref === 'active') {
    const active = await reg.active();
    if (active === undefined) throw new CustosError('NOT_FOUND', 'no active bundle');
    return active;
  }
  return reg.load(ref);
}

function actingPrincipal(args: ParsedArgs, io: CliIo): string {
  const who = args.flags['as'] ?? io.env['CUSTOS_ACTOR'];
  if (who === undefined)
    throw new CustosError('INPUT_INVALID', 'say who acts: --as PRINCIPAL or CUSTOS_ACTOR');
  return who;
}

function describe(v: BundleVersion): [string, string][] {
  return [
    ['hash', v.hash],
    ['name', `${v.name} ${v.versionLabel}`],
    ['status', v.status],
    ['author', v.author],
    ['filed by', `${v.filedBy} at ${v.filedAt}`],
    ['policy owners', v.requiredApprovers.join(', ')],
    ['decisions', v.approvals.map((x) => `${x.approver} ${x.decision}`).join(', ') || '-'],
    ['changes', v.changes.join(', ') || '-'],
  ];
}
