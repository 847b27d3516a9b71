/**
 * LocalService: CustosApi in-process, over an opened installation (openCustos). Every call goes
 * through one door (`call`): the input is validated by its operation's schema, the caller resolved
 * to a known principal and its usable roles, the operation's role requirement enforced, and only
 * then is the handler run. Handlers add the ownership rules (see ./authorize.ts, ./run-access.ts).
 */
import { performance } from 'node:perf_hooks';
import { CustosError } from '../core/errors.js';
import type { Custos } from '../main.js';
import type { Caller, Outputs } from './api.js';
import { ApiMethods } from './api-methods.js';
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

export class LocalService extends ApiMethods {
  private readonly ctx: ServiceContext;

  constructor(
    readonly custos: Custos,
    private readonly options: LocalServiceOptions = {},
  ) {
    super();
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
}
