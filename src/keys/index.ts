export { createPrivateFile, readPrivateFile, writeFileAtomic } from './key-files.js';
export {
  createLogKeys,
  hasLogKey,
  keyPaths,
  loadFingerprintKey,
  loadLogSigner,
  type KeyPaths,
} from './log-keys.js';
export { signerStateFile } from './signer-state-file.js';
export { loadOrCreateRunKeys, runKeyPaths, type RunKeys } from './run-keys.js';
