/**
 * custos/verifier — the standalone offline verifier for Custos ledger exports. An auditor can use
 * it without the rest of Custos: it depends only on node:crypto (and node:fs in readExportDir).
 *
 *   import { readExportDir, verifyBundle } from 'custos/verifier';
 *   const report = verifyBundle(readExportDir('evidence/'), { log: 'origin+1234abcd+AbC...' });
 */
export { verifyBundle, type TrustedKeys, type VerifyReport, type Progress } from './verify-bundle.js';
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
