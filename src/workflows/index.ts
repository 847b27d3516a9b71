export {
  BundleRegistry,
  type BundleRegistryDeps,
  type BundleVersion,
  type PrincipalLookup,
  type VersionStatus,
} from './bundle-registry.js';
