/**
 * custos/verifier — the standalone offline verifier for Custos ledger exports. An auditor can use
 * it without the rest of Custos: the sequential verifier (verifyBundle) depends only on node:crypto
 * (and node:fs in readExportDir); the parallel driver (verifyBundleParallel, verifyExportDir, for
 * large full exports, same reports and errors) additionally uses node:worker_threads (and node:fs,
 * node:path, node:url to read the directory and find its worker script).
 *
 *   import { readExportDir, verifyBundle } from 'custos/verifier';
 *   const report = verifyBundle(readExportDir('evidence/'), { log: 'origin+1234abcd+AbC...' });
 *   const same = await verifyExportDir('evidence/', { log: 'origin+1234abcd+AbC...' }, undefined, { workers: 4 });
 */
export { verifyBundle, type TrustedKeys, type VerifyReport, type Progress } from './verify-bundle.js';
export {
  verifyBundleParallel,
  verifyExportDir,
  PARALLEL_MIN_RECORDS,
  type ParallelOptions,
} from './parallel.js';
export { readExportDir } from './read-dir.js';
export {
  EXPORT_FORMAT,
  checkManifest,
  type ExportBundle,
  type ExportManifest,
  type CarriedCheckpoint,
} from './bundle.js';
export { RecordChain } from './record-chain.js';
export { checkCheckpoint, type TrustPolicy, type CheckedCheckpoint } from './checkpoint-check.js';
export { formatTlogProof, parseTlogProof, type TlogProof } from './tlog-proof.js';
export { CustosError, type ErrorCode } from '../core/errors.js';
export {
  rootFromInclusionProof,
  verifyConsistency,
  verifyInclusion,
  leafHash,
  nodeHash,
} from '../ledger/merkle/index.js';
export { openNote, parseCheckpoint, parseVerifierKey, verifyCosignature } from '../ledger/note/index.js';
