/**
 * The methods of CustosApi, one per operation, each forwarding to `call(name, caller, input)`:
 * LocalService (in-process) and HttpClient (over HTTP) differ only in how they call.
 */
import type { Caller, CustosApi, Outputs } from './api.js';
import type { InputOf, OperationName } from './operations.js';

export abstract class ApiMethods implements CustosApi {
  abstract call<K extends OperationName>(name: K, caller: Caller, input: InputOf<K>): Promise<Outputs[K]>;

  whoami = (c: Caller, i: InputOf<'whoami'>) => this.call('whoami', c, i);
  listSystems = (c: Caller, i: InputOf<'listSystems'>) => this.call('listSystems', c, i);
  getSystem = (c: Caller, i: InputOf<'getSystem'>) => this.call('getSystem', c, i);
  upsertSystem = (c: Caller, i: InputOf<'upsertSystem'>) => this.call('upsertSystem', c, i);
  listIdentities = (c: Caller, i: InputOf<'listIdentities'>) => this.call('listIdentities', c, i);
  getIdentity = (c: Caller, i: InputOf<'getIdentity'>) => this.call('getIdentity', c, i);
  upsertIdentity = (c: Caller, i: InputOf<'upsertIdentity'>) => this.call('upsertIdentity', c, i);
  listPrincipals = (c: Caller, i: InputOf<'listPrincipals'>) => this.call('listPrincipals', c, i);
  getPrincipal = (c: Caller, i: InputOf<'getPrincipal'>) => this.call('getPrincipal', c, i);
  upsertPrincipal = (c: Caller, i: InputOf<'upsertPrincipal'>) => this.call('upsertPrincipal', c, i);
  importInventory = (c: Caller, i: InputOf<'importInventory'>) => this.call('importInventory', c, i);
  registerKey = (c: Caller, i: InputOf<'registerKey'>) => this.call('registerKey', c, i);
  listBundles = (c: Caller, i: InputOf<'listBundles'>) => this.call('listBundles', c, i);
  getBundle = (c: Caller, i: InputOf<'getBundle'>) => this.call('getBundle', c, i);
  deployBundle = (c: Caller, i: InputOf<'deployBundle'>) => this.call('deployBundle', c, i);
  approveBundle = (c: Caller, i: InputOf<'approveBundle'>) => this.call('approveBundle', c, i);
  rejectBundle = (c: Caller, i: InputOf<'rejectBundle'>) => this.call('rejectBundle', c, i);
  fileRequest = (c: Caller, i: InputOf<'fileRequest'>) => this.call('fileRequest', c, i);
  listRuns = (c: Caller, i: InputOf<'listRuns'>) => this.call('listRuns', c, i);
  getRun = (c: Caller, i: InputOf<'getRun'>) => this.call('getRun', c, i);
  approveRun = (c: Caller, i: InputOf<'approveRun'>) => this.call('approveRun', c, i);
  denyRun = (c: Caller, i: InputOf<'denyRun'>) => this.call('denyRun', c, i);
  advanceRun = (c: Caller, i: InputOf<'advanceRun'>) => this.call('advanceRun', c, i);
  resumeRun = (c: Caller, i: InputOf<'resumeRun'>) => this.call('resumeRun', c, i);
  rollbackRun = (c: Caller, i: InputOf<'rollbackRun'>) => this.call('rollbackRun', c, i);
  abortRun = (c: Caller, i: InputOf<'abortRun'>) => this.call('abortRun', c, i);
  listGrants = (c: Caller, i: InputOf<'listGrants'>) => this.call('listGrants', c, i);
  getGrant = (c: Caller, i: InputOf<'getGrant'>) => this.call('getGrant', c, i);
  reviewBreakGlass = (c: Caller, i: InputOf<'reviewBreakGlass'>) => this.call('reviewBreakGlass', c, i);
  listAlerts = (c: Caller, i: InputOf<'listAlerts'>) => this.call('listAlerts', c, i);
  ledgerHead = (c: Caller, i: InputOf<'ledgerHead'>) => this.call('ledgerHead', c, i);
  signCheckpoint = (c: Caller, i: InputOf<'signCheckpoint'>) => this.call('signCheckpoint', c, i);
  inclusionProof = (c: Caller, i: InputOf<'inclusionProof'>) => this.call('inclusionProof', c, i);
  consistencyProof = (c: Caller, i: InputOf<'consistencyProof'>) => this.call('consistencyProof', c, i);
  exportLedger = (c: Caller, i: InputOf<'exportLedger'>) => this.call('exportLedger', c, i);
  verifyLedger = (c: Caller, i: InputOf<'verifyLedger'>) => this.call('verifyLedger', c, i);
  verifyToken = (c: Caller, i: InputOf<'verifyToken'>) => this.call('verifyToken', c, i);
  jwks = (c: Caller, i: InputOf<'jwks'>) => this.call('jwks', c, i);
  issueApiToken = (c: Caller, i: InputOf<'issueApiToken'>) => this.call('issueApiToken', c, i);
  listApiTokens = (c: Caller, i: InputOf<'listApiTokens'>) => this.call('listApiTokens', c, i);
  revokeApiToken = (c: Caller, i: InputOf<'revokeApiToken'>) => this.call('revokeApiToken', c, i);
}
