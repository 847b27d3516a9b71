/**
 * LocalService: CustosApi in-process, over an opened installation (openCustos). Every call goes
 * through one door (`call`): the input is validated by its operation's schema, the caller resolved
 * to a known principal and its usable roles, the operation's role requirement enforced, and only
 * then is the handler run. Handlers add the ownership rules (see ./authorize.ts, ./run-access.ts).
 */
import { performance } from 'node:perf_hooks';
import { CustosError } from '../core/errors.js';
import type { Custos } from '../main.js';
import type { Caller, CustosApi, Outputs } from './api.js';
import { ANONYMOUS, checkAccess, resolveCaller } from './authorize.js';
import type { Handlers, ServiceContext } from './context.js';
import { bundleHandlers } from './handlers-bundles.js';
import { inventoryHandlers } from './handlers-inventory.js';
import { ledgerHandlers } from './handlers-ledger.js';
import { runHandlers } from './handlers-runs.js';
import { tokenHandlers } from './handlers-tokens.js';
import { LedgerIndex } from './ledger-index.js';
import { OPERATIONS, type InputOf, type OperationName, type ParsedInputOf } from './operations.js';
import { parseInput } from './parse-input.js';

export interface LocalServiceOptions {
  /** The ledger index to keep (default: a new one); the server shares it with its metrics. */
  readonly index?: LedgerIndex;
  /** Called after each successful write with its duration (its ledger records are committed by then). */
  readonly onWrite?: (operation: OperationName, seconds: number) => void;
}

const HANDLERS: Handlers<OperationName> = {
  ...inventoryHandlers,
  ...bundleHandlers,
  ...runHandlers,
  ...ledgerHandlers,
  ...tokenHandlers,
};

export class LocalService implements CustosApi {
  private readonly ctx: ServiceContext;

  constructor(
    readonly custos: Custos,
    private readonly options: LocalServiceOptions = {},
  ) {
    this.ctx = { custos, index: options.index ?? new LedgerIndex(custos.ledger) };
  }

  /** The ledger index this service keeps (the metrics read it too). */
  get index(): LedgerIndex {
    return this.ctx.index;
  }

  /** The one door: validate, resolve the caller, authorize, run. */
  async call<K extends OperationName>(name: K, caller: Caller, input: InputOf<K>): Promise<Outputs[K]> {
    const op = OPERATIONS[name];
    if (op === undefined) throw new CustosError('NOT_FOUND', 'no such operation');
    const parsed = parseInput(op.input, input) as ParsedInputOf<K>;
    const acting = op.access === 'public' ? ANONYMOUS : await resolveCaller(this.custos.inventory, caller);
    checkAccess(name, op.access, acting);
    const handler = HANDLERS[name] as (
      ctx: ServiceContext,
      a: typeof acting,
      i: ParsedInputOf<K>,
    ) => Promise<Outputs[K]>;
    const started = performance.now();
    const result = await handler(this.ctx, acting, parsed);
    if (op.writes) this.options.onWrite?.(name, (performance.now() - started) / 1000);
    return result;
  }

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
