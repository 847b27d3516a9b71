export {
  BundleRegistry,
  type BundleRegistryDeps,
  type BundleVersion,
  type PrincipalLookup,
  type VersionStatus,
} from './bundle-registry.js';
export {
  decideAndRecord,
  recordedRequests,
  requestFromInventory,
  type DecisionDeps,
  type PlainRequest,
} from './decisions.js';
