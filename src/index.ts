/** Custos as a library: the configured installation, its ledger and its store. */
export { CustosError, isCustosError, ERROR_CODES, type ErrorCode } from './core/errors.js';
export { canonicalize, parseCanonical, type JsonValue } from './core/canonical-json.js';
export { parseConfig, type Config } from './config/index.js';
export { openCustos, type Custos } from './main.js';
export { openStore, type Store } from './store/index.js';
export { Ledger, SYSTEM_ACTOR, type LedgerInfo, type StoredCheckpoint } from './ledger/ledger.js';
export type { LedgerTx, Committed } from './ledger/ledger-writer.js';
export type { AppendedRecord } from './ledger/sequencer.js';
export type { Actor, Subject, RecordDraft, RecordRef, LedgerRecord } from './ledger/record.js';
export { fingerprint, commit, openCommitment, type FingerprintKey } from './ledger/secrets.js';
export { verifyLive, type LiveVerifyReport } from './ledger/ledger-verify.js';
export { exportLedger, type ExportOptions } from './evidence/ledger-export.js';
