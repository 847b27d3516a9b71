/**
 * The admin connection to one directory: a fresh connection and bind for every connector call,
 * then unbind. ldapts reconnects a dropped socket on the next request *without* binding again, so
 * a long-lived client could silently carry on as anonymous — and an anonymous search that finds
 * nothing would read as "the account is absent". One bound connection per call rules that out,
 * at the cost of one bind (about a millisecond on a LAN).
 *
 * Every request is reported to an optional logger (for tests and audits): adds and modifies carry
 * `{SSHA}` values, never passwords; binds report the DN only.
 */
import { Attribute, Change, Client, PresenceFilter, type Entry, type Filter } from 'ldapts';
import { LDAP, ldapCode, toConnectorError, unavailable } from './ldap-errors.js';
import type { LdapSettings } from './ldap-settings.js';

export interface LoggedOperation {
  readonly op: 'bind' | 'search' | 'compare' | 'add' | 'modify' | 'delete';
  readonly dn: string;
  /** add: the attributes; modify: `operation type` and values; search: the filter. */
  readonly detail: readonly string[];
}

export type OperationLogger = (operation: LoggedOperation) => void;

export interface Mod {
  readonly operation: 'add' | 'delete' | 'replace';
  readonly type: string;
  readonly values: readonly (string | Buffer)[];
}

/** An entry as read: attribute names lower-cased; userPassword values kept as bytes. */
export interface ReadEntry {
  readonly dn: string;
  text(name: string): string[];
  bytes(name: string): Buffer[];
}

export interface Ldap {
  /** One-level or subtree search; `attributes` as requested (`+` for operational ones). */
  search(base: string, scope: 'one' | 'sub', filter: Filter, attributes: string[]): Promise<ReadEntry[]>;
  /** The entry at `dn`, or undefined when it does not exist. */
  read(dn: string, attributes: string[]): Promise<ReadEntry | undefined>;
  /** Whether the entry at `dn` has `value` in `attribute`, by the server's own matching rule. */
  compare(dn: string, attribute: string, value: string): Promise<boolean>;
  add(dn: string, attributes: Readonly<Record<string, readonly (string | Buffer)[]>>): Promise<void>;
  modify(dn: string, mods: readonly Mod[]): Promise<void>;
  del(dn: string): Promise<void>;
}

const BINARY = ['userPassword'];

/** Opens a connection, binds as the admin, runs `body`, unbinds; errors become CustosErrors. */
export async function withAdmin<T>(
  settings: LdapSettings,
  password: string,
  what: string,
  log: OperationLogger,
  body: (ldap: Ldap) => Promise<T>,
): Promise<T> {
  const client = new Client({
    url: settings.url,
    timeout: settings.timeoutMs,
    connectTimeout: settings.timeoutMs,
  });
  try {
    log({ op: 'bind', dn: settings.bindDn, detail: [] });
    await client.bind(settings.bindDn, password).catch((error: unknown) => {
      // A refused admin bind is a configuration or availability problem, never the step's fault.
      throw ldapCode(error) === LDAP.invalidCredentials
        ? unavailable(`${what} (admin bind refused)`, error)
        : error;
    });
    return await body(operations(client, log));
  } catch (error) {
    throw toConnectorError(error, what);
  } finally {
    await client.unbind().catch(() => undefined);
  }
}

function operations(client: Client, log: OperationLogger): Ldap {
  const search = async (
    base: string,
    scope: 'base' | 'one' | 'sub',
    filter: Filter,
    attributes: string[],
  ) => {
    log({ op: 'search', dn: base, detail: [scope, filter.toString()] });
    const result = await client.search(base, { scope, filter, attributes, explicitBufferAttributes: BINARY });
    return result.searchEntries.map(toReadEntry);
  };
  return {
    search,
    async read(dn, attributes) {
      try {
        return (await search(dn, 'base', new PresenceFilter({ attribute: 'objectClass' }), attributes))[0];
      } catch (error) {
        if (ldapCode(error) === LDAP.noSuchObject) return undefined;
        throw error;
      }
    },
    async compare(dn, attribute, value) {
      log({ op: 'compare', dn, detail: [`${attribute}: ${value}`] });
      return client.compare(dn, attribute, value);
    },
    async add(dn, attributes) {
      log({
        op: 'add',
        dn,
        detail: Object.entries(attributes).map(([k, v]) => `${k}: ${v.map(show).join(' | ')}`),
      });
      await client.add(
        dn,
        Object.entries(attributes).map(([type, values]) => new Attribute({ type, values: asValues(values) })),
      );
    },
    async modify(dn, mods) {
      log({
        op: 'modify',
        dn,
        detail: mods.map((m) => `${m.operation} ${m.type}: ${m.values.map(show).join(' | ')}`),
      });
      await client.modify(
        dn,
        mods.map(
          (m) =>
            new Change({
              operation: m.operation,
              modification: new Attribute({ type: m.type, values: asValues(m.values) }),
            }),
        ),
      );
    },
    async del(dn) {
      log({ op: 'delete', dn, detail: [] });
      await client.del(dn);
    },
  };
}

function show(value: string | Buffer): string {
  return typeof value === 'string' ? value : value.toString('utf8');
}

/** ldapts takes all-strings or all-buffers per attribute. */
function asValues(values: readonly (string | Buffer)[]): string[] | Buffer[] {
  const strings = values.filter((v) => typeof v === 'string');
  if (strings.length === values.length) return strings;
  return values.map((v) => (typeof v === 'string' ? Buffer.from(v, 'utf8') : v));
}

function toReadEntry(entry: Entry): ReadEntry {
  const attrs = new Map<string, Buffer[] | string[]>();
  for (const [key, value] of Object.entries(entry)) {
    if (key === 'dn') continue;
    const list = Array.isArray(value) ? value : [value];
    attrs.set(key.toLowerCase(), list as Buffer[] | string[]);
  }
  const get = (name: string) => attrs.get(name.toLowerCase()) ?? [];
  return {
    dn: entry.dn,
    text: (name) => get(name).map((v) => (typeof v === 'string' ? v : v.toString('utf8'))),
    bytes: (name) => get(name).map((v) => (typeof v === 'string' ? Buffer.from(v, 'utf8') : v)),
  };
}
