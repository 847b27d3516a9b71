/**
 * The REST routes: a table, one row per operation (plus the same JWKS at its well-known path).
 * Path parameters name input fields; a GET takes every other field from the query string, any other
 * method from a JSON body. Everything else a request needs — who may call, the schema, whether it
 * writes — comes from the operation (src/service/operations.ts).
 */
import type { OperationName } from '../service/index.js';

export type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

export interface Route {
  readonly method: Method;
  /** `/v1/runs/{id}`: each `{name}` is an input field. */
  readonly path: string;
  readonly operation: OperationName;
  /** The success status (default 200). */
  readonly status?: 201;
}

const r = (method: Method, path: string, operation: OperationName, status?: 201): Route =>
  status === undefined ? { method, path, operation } : { method, path, operation, status };

export const ROUTES: readonly Route[] = [
  r('GET', '/v1/whoami', 'whoami'),

  r('GET', '/v1/systems', 'listSystems'),
  r('GET', '/v1/systems/{id}', 'getSystem'),
  r('PUT', '/v1/systems/{id}', 'upsertSystem'),
  r('GET', '/v1/identities', 'listIdentities'),
  r('GET', '/v1/identities/{id}', 'getIdentity'),
  r('PUT', '/v1/identities/{id}', 'upsertIdentity'),
  r('GET', '/v1/principals', 'listPrincipals'),
  r('GET', '/v1/principals/{id}', 'getPrincipal'),
  r('PUT', '/v1/principals/{id}', 'upsertPrincipal'),
  r('POST', '/v1/principals/{principal}/keys', 'registerKey', 201),
  r('POST', '/v1/inventory/import', 'importInventory'),

  r('GET', '/v1/bundles', 'listBundles'),
  r('POST', '/v1/bundles', 'deployBundle', 201),
  r('GET', '/v1/bundles/{hash}', 'getBundle'),
  r('POST', '/v1/bundles/{hash}/approve', 'approveBundle'),
  r('POST', '/v1/bundles/{hash}/reject', 'rejectBundle'),

  r('POST', '/v1/requests', 'fileRequest', 201),
  r('GET', '/v1/runs', 'listRuns'),
  r('GET', '/v1/runs/{id}', 'getRun'),
  r('POST', '/v1/runs/{id}/approve', 'approveRun'),
  r('POST', '/v1/runs/{id}/deny', 'denyRun'),
  r('POST', '/v1/runs/{id}/advance', 'advanceRun'),
  r('POST', '/v1/runs/{id}/resume', 'resumeRun'),
  r('POST', '/v1/runs/{id}/rollback', 'rollbackRun'),
  r('POST', '/v1/runs/{id}/abort', 'abortRun'),

  r('GET', '/v1/grants', 'listGrants'),
  r('GET', '/v1/grants/{id}', 'getGrant'),
  r('POST', '/v1/grants/{id}/review', 'reviewBreakGlass'),

  r('GET', '/v1/alerts', 'listAlerts'),

  r('GET', '/v1/ledger', 'ledgerHead'),
  r('POST', '/v1/ledger/checkpoints', 'signCheckpoint', 201),
  r('GET', '/v1/ledger/proofs/inclusion', 'inclusionProof'),
  r('GET', '/v1/ledger/proofs/consistency', 'consistencyProof'),
  r('GET', '/v1/ledger/export', 'exportLedger'),
  r('GET', '/v1/ledger/verify', 'verifyLedger'),

  r('POST', '/v1/tokens/verify', 'verifyToken'),
  r('GET', '/v1/jwks', 'jwks'),
  r('GET', '/.well-known/jwks.json', 'jwks'),

  r('GET', '/v1/api-tokens', 'listApiTokens'),
  r('POST', '/v1/api-tokens', 'issueApiToken', 201),
  r('DELETE', '/v1/api-tokens/{id}', 'revokeApiToken'),
];

/** The canonical route of each operation (the first listed), for the client. */
export const ROUTE_OF: { readonly [K in OperationName]: Route } = Object.fromEntries(
  [...ROUTES].reverse().map((route) => [route.operation, route]),
) as { readonly [K in OperationName]: Route };

/** Names of a path's parameters, in order. */
export function pathParams(path: string): string[] {
  return [...path.matchAll(/\{([A-Za-z]+)\}/g)].map((m) => m[1]!);
}
