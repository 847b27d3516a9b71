/**
 * Load a bundle from its files: parse and check everything, collect every problem, and hand out
 * a LoadedBundle only when there are none. Pure (no I/O): bundle-files.ts reads directories.
 */
import { checkParseEntities } from '@cedar-policy/cedar-wasm/nodejs';
import { isCustosError } from '../core/errors.js';
import { bundleHash, checkFileList, type BundleFile } from './bundle-hash.js';
import { classifyFiles } from './bundle-layout.js';
import { ensurePrepared, isWasmTrap } from './cedar-engine.js';
import { parsePolicyFile, type BundlePolicy } from './cedar-policies.js';
import { checkSchema, validatePolicies } from './cedar-schema.js';
import { buildEntities } from './entities.js';
import { parseGoldenFile, type GoldenSuite } from './golden-parse.js';
import { buildGovernance, type GovernanceIndex } from './governance.js';
import { lintPolicies } from './lint-policies.js';
import { groupPeople, lintRoutes } from './lint-routes.js';
import { parseManifest, type Manifest } from './manifest.js';
import { BundleInvalidError, sortProblems, type Problem } from './problems.js';
import { checkWorkflowNames, parseWorkflow } from './workflow-check.js';
import type { Workflow } from './workflow-schema.js';

export interface LoadedBundle {
  /** `sha256:<hex>` over the canonical file listing (bundle-hash.ts). */
  readonly hash: string;
  readonly manifest: Manifest;
  readonly files: readonly BundleFile[];
  readonly schemaText: string;
  readonly workflows: ReadonlyMap<string, Workflow>;
  readonly policies: readonly BundlePolicy[];
  readonly policyById: ReadonlyMap<string, BundlePolicy>;
  readonly suites: readonly GoldenSuite[];
  readonly governance: GovernanceIndex;
}

export type BundleCheck =
  | {
      readonly ok: true;
      readonly hash: string;
      readonly bundle: LoadedBundle;
      readonly problems: readonly [];
    }
  | { readonly ok: false; readonly hash: string | undefined; readonly problems: readonly Problem[] };

const decoder = new TextDecoder('utf-8', { fatal: true });

/** Every problem of the bundle, or the loaded bundle when there is none. Never throws on bad input. */
export function checkBundleFiles(input: readonly BundleFile[]): BundleCheck {
  // Our own copy: the caller mutating its buffers later must not change a bundle after its hash.
  const files = input.map((f) => ({ path: f.path, bytes: f.bytes.slice() }));
  const problems: Problem[] = checkFileList(files);
  if (problems.length > 0) return { ok: false, hash: undefined, problems: sortProblems(problems) };
  const hash = bundleHash(files);
  const layout = classifyFiles(files, problems);
  const manifest = layout.manifest && parseManifest(layout.manifest.bytes, problems);
  const namespace = manifest?.namespace ?? 'Custos';

  const workflows = layout.workflows.flatMap((f) => parseWorkflow(f.path, f.bytes, problems) ?? []);
  checkWorkflowNames(workflows, problems);

  const schemaText = layout.schema ? decode(layout.schema, 'CEDAR_SCHEMA_INVALID', problems) : undefined;
  const schemaOk = schemaText !== undefined && checkSchema(schemaText, namespace, problems);
  const policies = layout.policies.flatMap((f) => {
    const text = decode(f, 'CEDAR_SYNTAX', problems);
    return text === undefined ? [] : parsePolicyFile(f.path, text, problems);
  });
  if (schemaOk) validatePolicies(schemaText, policies, problems);

  const suites = layout.tests.flatMap((f) => parseGoldenFile(f.path, f.bytes, problems) ?? []);
  if (schemaOk) for (const suite of suites) checkFixtures(suite, schemaText, namespace, problems);

  const governance = buildGovernance(workflows, problems);
  lintRoutes(workflows, groupPeople(suites), problems);
  lintPolicies(policies, workflows, problems);

  if (problems.length > 0 || !manifest || schemaText === undefined) {
    return { ok: false, hash, problems: sortProblems(problems) };
  }
  const bundle: LoadedBundle = {
    hash,
    manifest,
    files,
    schemaText,
    workflows: new Map(workflows.map((w) => [w.workflow.name, w.workflow])),
    policies,
    policyById: new Map(policies.map((p) => [p.id, p])),
    suites,
    governance,
  };
  ensurePrepared(bundle);
  return { ok: true, hash, bundle, problems: [] };
}

/** The loaded bundle; throws BundleInvalidError (code BUNDLE_INVALID, `.problems`) otherwise. */
export function loadBundleFromFiles(files: readonly BundleFile[]): LoadedBundle {
  const check = checkBundleFiles(files);
  if (!check.ok) throw new BundleInvalidError(check.problems, check.hash);
  return check.bundle;
}

/** The suite's fixtures must conform to the schema (attribute types, memberships). */
function checkFixtures(suite: GoldenSuite, schemaText: string, namespace: string, problems: Problem[]): void {
  let entities;
  try {
    entities = buildEntities(suite.fixtures, namespace);
  } catch (err) {
    if (isCustosError(err)) return; // an unknown system: already a GOLDEN_UNKNOWN_ENTITY problem
    throw err;
  }
  let errors: readonly { message: string }[];
  try {
    const answer = checkParseEntities({ entities, schema: schemaText });
    errors = answer.type === 'success' ? [] : answer.errors;
  } catch (err) {
    if (isWasmTrap(err)) throw err;
    errors = [{ message: `fixtures cannot be read: ${err instanceof Error ? err.message : String(err)}` }];
  }
  for (const e of errors) {
    problems.push({ file: suite.file, line: suite.entitiesLine, code: 'GOLDEN_INVALID', message: e.message });
  }
}

function decode(file: BundleFile, code: Problem['code'], problems: Problem[]): string | undefined {
  try {
    return decoder.decode(file.bytes);
  } catch {
    problems.push({ file: file.path, line: 1, code, message: 'file is not valid UTF-8' });
    return undefined;
  }
}
