/**
 * The Custos witness (c2sp.org/tlog-witness): its own cosignature/v1 key and its own SQLite state,
 * independent of the log it witnesses. The core, the HTTP service, and the client a log uses.
 */
export { MAX_PROOF_HASHES, Witness } from './witness.js';
export type { AddCheckpointRequest, WitnessDeps } from './witness.js';
export { WITNESS_DB_FILE, WitnessStore } from './witness-store.js';
export type { WitnessLogEntry, WitnessLogState } from './witness-store.js';
export {
  formatAddCheckpointBody,
  formatSizeBody,
  MAX_BODY_BYTES,
  parseAddCheckpointBody,
  parseSizeBody,
  TLOG_SIZE_CONTENT_TYPE,
} from './protocol.js';
export { startWitnessServer } from './http.js';
export type { WitnessServer, WitnessServerOptions } from './http.js';
export { requestCosignature } from './client.js';
export type { CosignatureResult, RequestCosignatureOptions } from './client.js';
export { collectCosignatures, type WitnessOutcome } from './collect-cosignatures.js';
