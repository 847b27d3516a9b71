/**
 * The pure RFC 6962 / RFC 9162 §2.1 Merkle layer of the ledger: hashing, tree math, proof plans for
 * a store of perfect subtree hashes, proof verification and the incremental compact range.
 * Depends only on node:crypto and core/errors + core/bytes, so the standalone verifier can use it.
 */
export { EMPTY_ROOT, HASH_SIZE, leafHash, nodeHash } from './hasher.js';
export type { LeafRange, NodeId } from './node-id.js';
export { MAX_LEVEL, isTreeNumber, nodeId, nodeKey, nodeRange, perfectNodeOf } from './node-id.js';
export {
  checkConsistencyArgs,
  checkInclusionArgs,
  consistencyProofLength,
  consistencyRanges,
  decompose,
  inclusionProofLength,
  inclusionRanges,
} from './tree-math.js';
export type { ProofPlan, RootPlan } from './proof-plan.js';
export { planConsistency, planInclusion, rootPlan } from './proof-plan.js';
export { rootFromInclusionProof, verifyConsistency, verifyInclusion } from './proof-verify.js';
export type { PerfectNode } from './compact-range.js';
export { CompactRange } from './compact-range.js';
