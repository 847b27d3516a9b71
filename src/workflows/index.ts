export {
  BundleRegistry,
  type BundleRegistryDeps,
  type BundleVersion,
  type PrincipalLookup,
  type VersionStatus,
} from './bundle-registry.js';
export {
  decideAndRecord,
  decideRequest,
  recordedRequests,
  requestedIdentities,
  requestFromInventory,
  type DecisionDeps,
  type PlainRequest,
} from './decisions.js';
export { FAN_OUT_ACTIONS, MAX_FAN_OUT, checkFanOut, combineDecisions, type FanOutPart } from './fan-out.js';
