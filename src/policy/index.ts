/**
 * Policy as code: workflow bundles (YAML workflows, Cedar policies and schema, golden cases),
 * their loading and lint, the pure decision function, golden tests and version diffs.
 * Everything here is pure except bundleFiles / loadBundle / lintBundle(dir), which read a directory.
 */
import { bundleFiles } from './bundle-files.js';
import type { BundleFile } from './bundle-hash.js';
import { checkBundleFiles, loadBundleFromFiles, type LoadedBundle } from './load-bundle.js';
import { BundleInvalidError, type Problem } from './problems.js';

export { bundleFiles } from './bundle-files.js';
export { bundleHash, type BundleFile } from './bundle-hash.js';
export { checkBundleFiles, loadBundleFromFiles, type BundleCheck, type LoadedBundle } from './load-bundle.js';
export { BundleInvalidError, formatProblems, type Problem, type ProblemCode } from './problems.js';
export { decide, decideWith, type CedarEvaluator } from './decide.js';
export { CedarThread } from './cedar-thread.js';
export { CedarMemo, type CedarMemoOptions, type CedarMemoStats } from './cedar-memo.js';
export type { Decision, DecisionRequest, DecisionRoute, ResourceRef } from './decision-types.js';
export {
  buildEntities,
  principalUid,
  type EntityFixtures,
  type IdentityFixture,
  type NewIdentity,
  type PrincipalFixture,
  type SystemFixture,
} from './entities.js';
export {
  runGoldenCases,
  formatGoldenReport,
  type GoldenReport,
  type GoldenResult,
  type FieldDiff,
} from './golden-run.js';
export { diffBundles, formatBundleDiff, type BundleDiff, type DecisionChange } from './diff.js';
export type { Workflow, WorkflowRoute, ApprovalRequirement } from './workflow-schema.js';
export type { BundlePolicy } from './cedar-policies.js';
export type { Manifest } from './manifest.js';
export * from './vocabulary.js';

/** Read and load the bundle in `dir`; throws BundleInvalidError (code BUNDLE_INVALID) listing every problem. */
export function loadBundle(dir: string): LoadedBundle {
  return loadBundleFromFiles(bundleFiles(dir));
}

/** Every problem of a bundle (a directory or its files): [] when it lints clean. Never throws on bad input. */
export function lintBundle(bundle: string | readonly BundleFile[]): readonly Problem[] {
  try {
    return checkBundleFiles(typeof bundle === 'string' ? bundleFiles(bundle) : bundle).problems;
  } catch (err) {
    if (err instanceof BundleInvalidError) return err.problems;
    throw err;
  }
}
