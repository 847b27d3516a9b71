export { ScimConnector, type ScimDeps } from './scim-connector.js';
export { parseConnection, type ScimConnection } from './scim-connection.js';
export { tryLogin, type LoginOutcome } from './scim-login.js';
export { CUSTOS_EXTENSION, JOURNAL_PATH } from './scim-journal.js';
export { entitlementsOf, parseEntitlement } from './scim-entitlements.js';
export { eqFilter, assertUserName, assertGroupName } from './scim-names.js';
export { redactPasswords, type RequestLogEntry, type RequestLogger } from './scim-http.js';
