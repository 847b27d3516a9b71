/** What the service's handlers work with: the opened installation and the service's own parts. */
import type { Custos } from '../main.js';
import type { Outputs } from './api.js';
import type { Acting } from './authorize.js';
import type { LedgerIndex } from './ledger-index.js';
import type { OperationName, ParsedInputOf } from './operations.js';

export interface ServiceContext {
  readonly custos: Custos;
  readonly index: LedgerIndex;
}

export type Handler<K extends OperationName> = (
  ctx: ServiceContext,
  acting: Acting,
  input: ParsedInputOf<K>,
) => Promise<Outputs[K]>;

export type Handlers<K extends OperationName> = { readonly [N in K]: Handler<N> };
