/**
 * The connectors for real target systems (PostgreSQL, MariaDB, Redis, OpenLDAP, RabbitMQ, SCIM 2.0), by inventory system type, built once per process with the
 * engine's authority verifier. Each keeps its own admin connections per system and opens them on
 * first use, so a type that no system uses costs nothing. Secret settings in a system's connection
 * are references (`env:NAME`), resolved here from the environment and never logged.
 *
 * The built-in `tokens` issuer is not here: it has a store of its own (src/main.ts).
 */
import { CustosError } from '../core/errors.js';
import type { ConnectorDeps } from './connector-deps.js';
import type { Connector } from './contract.js';
import { LdapConnector } from './ldap/index.js';
import { MariadbConnector } from './mariadb/index.js';
import { PostgresConnector } from './postgres/index.js';
import { RabbitmqConnector } from './rabbitmq/index.js';
import { RedisConnector } from './redis/index.js';
import { ScimConnector } from './scim/index.js';

export interface TargetConnectorDeps extends Omit<ConnectorDeps, 'resolveSecret'> {
  /** Defaults to the process environment (`env:NAME` only). */
  readonly resolveSecret?: ConnectorDeps['resolveSecret'];
}

export interface TargetConnectors {
  readonly byType: ReadonlyMap<string, Connector>;
  close(): Promise<void>;
}

/** Resolves `env:NAME` from `env`; anything else, or an unset variable, is a configuration error. */
export function envSecrets(env: NodeJS.ProcessEnv = process.env): (ref: string) => string {
  return (ref) => {
    const name = /^env:([A-Za-z_][A-Za-z0-9_]*)$/.exec(ref)?.[1];
    const value = name === undefined ? undefined : env[name];
    if (value === undefined) throw new CustosError('CONFIG_INVALID', `secret reference ${ref} is not set`);
    return value;
  };
}

export function targetConnectors(deps: TargetConnectorDeps): TargetConnectors {
  const shared: ConnectorDeps = { ...deps, resolveSecret: deps.resolveSecret ?? envSecrets() };
  const built = {
    postgres: new PostgresConnector(shared),
    ldap: new LdapConnector(shared),
    mariadb: new MariadbConnector(shared),
    rabbitmq: new RabbitmqConnector(shared),
    redis: new RedisConnector(shared),
    scim: new ScimConnector(shared),
  };
  return {
    byType: new Map<string, Connector>(Object.entries(built)),
    close: async () => {
      await Promise.all(Object.values(built).map((c) => c.close()));
    },
  };
}
