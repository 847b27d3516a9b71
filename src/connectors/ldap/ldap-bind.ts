/**
 * A real simple bind as the service account, to verify a credential on the directory itself.
 * OpenLDAP answers invalidCredentials (49) for a wrong password, for a ppolicy lock and for a
 * passed pwdEndTime alike (it tells the client nothing more, by design): the account's
 * `pwdAccountLockedTime` and `pwdEndTime` tell them apart (and a missing entry gives 49 too).
 *
 * A simple bind carries the password to the server, as every client of the account does: use
 * ldaps:// (or a tunnel) off loopback. The password is never stored or logged by Custos.
 */
import { Client } from 'ldapts';
import type { AccountState } from './ldap-account.js';
import { LDAP, ldapCode, toConnectorError } from './ldap-errors.js';
import type { LdapSettings } from './ldap-settings.js';

export type BindOutcome = 'ok' | 'wrong_password' | 'locked' | 'expired' | 'no_account' | 'failed';

export interface BindResult {
  readonly ok: boolean;
  readonly code?: number;
}

export async function tryBind(
  settings: Pick<LdapSettings, 'url' | 'timeoutMs'>,
  dn: string,
  password: string,
): Promise<BindResult> {
  // An empty password makes an "unauthenticated bind" (RFC 4513 §5.1.2), which can succeed as
  // anonymous: it proves nothing, so it is never attempted.
  if (password === '') return { ok: false };
  const client = new Client({
    url: settings.url,
    timeout: settings.timeoutMs,
    connectTimeout: settings.timeoutMs,
  });
  try {
    await client.bind(dn, password);
    return { ok: true };
  } catch (error) {
    const code = ldapCode(error);
    if (code === undefined) throw toConnectorError(error, 'the verification bind');
    return { ok: false, code };
  } finally {
    await client.unbind().catch(() => undefined);
  }
}

/** Names a bind result given the account's state read right after it. */
export function classifyBind(result: BindResult, state: AccountState | undefined, now: Date): BindOutcome {
  if (result.ok) return 'ok';
  if (result.code !== LDAP.invalidCredentials) return 'failed';
  if (state === undefined) return 'no_account';
  if (state.locked !== null) return 'locked';
  if (state.validUntil !== null && Date.parse(state.validUntil) < now.getTime()) return 'expired';
  return 'wrong_password';
}
