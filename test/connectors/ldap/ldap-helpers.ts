/** Helpers shared by the ldap connector's test files: steps, errors, admin reads, named binds. */
import type { AuthorisedStep } from '../../../src/connectors/kit/kit-steps.js';
import {
  classifyBind,
  parseSettings,
  readAccount,
  tryBind,
  withAdmin,
  type BindOutcome,
  type Ldap,
} from '../../../src/connectors/ldap/index.js';
import type { LdapServer } from './ldap-server.js';
import type { LdapTarget } from './ldap-target.js';

export const errorOf = (p: Promise<unknown>): Promise<unknown> =>
  p.then(
    () => undefined,
    (e: unknown) => e,
  );

export function helpers(server: () => LdapServer, target: () => LdapTarget) {
  const apply = (s: AuthorisedStep) => target().connector.apply(s.step, s.authority);
  const verify = (s: AuthorisedStep, secret?: string) =>
    target().connector.verify(s.step, s.authority, secret);
  /** Runs `body` as the Custos admin, straight to the server (not through the target's proxy). */
  const asAdmin = <T>(body: (ldap: Ldap) => Promise<T>): Promise<T> =>
    withAdmin(
      { ...parseSettings(target().system), url: server().url },
      server().adminPassword,
      'test',
      () => undefined,
      body,
    );
  /** A real bind, named as verify names it (49 told apart by reading the lock and end time). */
  const bind = async (secret: string): Promise<BindOutcome> => {
    const result = await tryBind({ url: server().url, timeoutMs: 5000 }, target().account, secret);
    return classifyBind(result, await asAdmin((ldap) => readAccount(ldap, target().account)), new Date());
  };
  return { apply, verify, asAdmin, bind };
}
