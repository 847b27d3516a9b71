/** The HTTP API: the server (`custos serve`), its OpenAPI document, and a client with the same interface. */
export { startApiServer, type ApiServer, type ApiServerOptions } from './server.js';
export { HttpClient, type HttpClientOptions } from './client.js';
export { openApiDocument } from './openapi.js';
export { ROUTES, ROUTE_OF, type Route } from './routes.js';
export { STATUS_OF } from './status-table.js';
export type { AccessLog, AccessLogEntry } from './access-log.js';
export type { RateLimitOptions } from './rate-limit.js';
