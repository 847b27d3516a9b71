export { LdapConnector, overlapScope, type LdapDeps } from './ldap-connector.js';
export { parseSettings, accountDn, type LdapSettings } from './ldap-settings.js';
export { tryBind, classifyBind, type BindOutcome, type BindResult } from './ldap-bind.js';
export { readAccount, LOCKED_FOREVER, type AccountState } from './ldap-account.js';
export { withAdmin, type Ldap, type LoggedOperation, type OperationLogger } from './ldap-admin.js';
export { escapeDnValue, parseDn, normalizeDn, sameDn, isChildOf } from './ldap-dn.js';
export { groupsOf, parseGroup, type GroupGrant } from './ldap-entitlements.js';
export { sshaHash, sshaMatches, newPassword } from './ssha.js';
export { journalKey } from './ldap-journal.js';
