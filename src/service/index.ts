/**
 * The service layer: every operation of Custos as one interface (CustosApi), its schemas, and
 * LocalService, which implements it over an opened installation with authorization by role.
 * The HTTP server (src/api) and the CLI both sit on top of it.
 */
export type {
  ApiTokenInfo,
  Caller,
  Checkpoint,
  ConsistencyProof,
  CustosApi,
  Executed,
  ImportSummary,
  InclusionProof,
  IssuedApiToken,
  Items,
  LedgerExport,
  LedgerHead,
  OutputOf,
  Outputs,
  RunWithRecords,
  WhoAmI,
} from './api.js';
export { LocalService, type LocalServiceOptions } from './local-service.js';
export {
  OPERATIONS,
  OPERATION_NAMES,
  type Access,
  type InputOf,
  type Operation,
  type OperationName,
  type ParsedInputOf,
} from './operations.js';
export { authenticateApiToken, type Authenticated } from './api-tokens.js';
export { bootstrapAdminToken, type BootstrapOptions } from './bootstrap.js';
export { LedgerIndex } from './ledger-index.js';
export { parseInput } from './parse-input.js';
export { MAX_EXPORT_RECORDS } from './handlers-ledger.js';
