/**
 * The SCIM test peer's data: users and groups in memory, behind scimmy's resource handlers. It
 * behaves as RFC 7643/7644 asks where scimmy leaves it to the store: userName unique without regard
 * to case (409 uniqueness), the password kept only as a salted scrypt hash and never returned,
 * a version per resource (meta.version) checked against If-Match (412), group members that must be
 * existing users, and a deleted user removed from every group.
 */
import crypto from 'node:crypto';
import SCIMMY from 'scimmy';

export const CUSTOS_EXTENSION = 'urn:ietf:params:scim:schemas:extension:custos:2.0:User';

interface Versioned {
  readonly id: string;
  readonly created: string;
  lastModified: string;
  version: number;
}

interface UserRecord extends Versioned {
  userName: string;
  externalId?: string;
  active: boolean;
  password?: { salt: string; hash: string };
  journal?: string;
}

interface GroupRecord extends Versioned {
  displayName: string;
  members: string[];
}

/** What the handlers receive as context: the request's If-Match header, and whether to honour it. */
export interface PeerContext {
  readonly ifMatch: string | undefined;
  readonly etag: boolean;
}

type Data = Record<string, unknown>;

export class PeerStore {
  readonly users = new Map<string, UserRecord>();
  readonly groups = new Map<string, GroupRecord>();

  /** Whether a login with `password` is accepted for `userName`: ok, wrong (401) or inactive (403). */
  login(userName: unknown, password: unknown): 'ok' | 'wrong' | 'inactive' {
    const user = typeof userName === 'string' ? this.byName(userName) : undefined;
    if (user?.password === undefined || typeof password !== 'string') return 'wrong';
    const hash = scrypt(password, user.password.salt);
    if (!crypto.timingSafeEqual(Buffer.from(hash, 'hex'), Buffer.from(user.password.hash, 'hex')))
      return 'wrong';
    return user.active ? 'ok' : 'inactive';
  }

  /** Another client's change: bumps a resource's version, as any write would. */
  touch(id: string): void {
    const record = this.users.get(id) ?? this.groups.get(id);
    if (record !== undefined) bump(record);
  }

  writeUser(id: string | undefined, data: Data, ctx: PeerContext): Data {
    const existing = id === undefined ? undefined : this.users.get(id);
    if (id !== undefined && existing === undefined) throw scimError(404, '', `Resource ${id} not found`);
    if (existing !== undefined) checkVersion(existing, ctx);
    const userName = data['userName'];
    if (typeof userName !== 'string' || userName === '')
      throw scimError(400, 'invalidValue', 'userName is required');
    const clash = this.byName(userName);
    if (clash !== undefined && clash.id !== id) throw scimError(409, 'uniqueness', 'userName is not unique');
    const now = new Date().toISOString();
    const record: UserRecord = existing ?? {
      id: crypto.randomUUID(),
      created: now,
      lastModified: now,
      version: 0,
      userName,
      active: true,
    };
    record.userName = userName;
    record.active = data['active'] !== false;
    const externalId = data['externalId'];
    if (typeof externalId === 'string') record.externalId = externalId;
    else delete record.externalId;
    const journal = (data[CUSTOS_EXTENSION] as { journal?: unknown } | undefined)?.journal;
    if (typeof journal === 'string') record.journal = journal;
    else delete record.journal;
    // writeOnly: a write without a password keeps the one the user has (RFC 7643 §7, "writeOnly").
    const password = data['password'];
    if (typeof password === 'string') {
      const salt = crypto.randomBytes(16).toString('hex');
      record.password = { salt, hash: scrypt(password, salt) };
    }
    bump(record);
    this.users.set(record.id, record);
    return this.userOut(record);
  }

  readUsers(id: string | undefined): Data | Data[] {
    if (id === undefined) return [...this.users.values()].map((u) => this.userOut(u));
    const user = this.users.get(id);
    if (user === undefined) throw scimError(404, '', `Resource ${id} not found`);
    return this.userOut(user);
  }

  deleteUser(id: string, ctx: PeerContext): void {
    const user = this.users.get(id);
    if (user === undefined) throw scimError(404, '', `Resource ${id} not found`);
    checkVersion(user, ctx);
    this.users.delete(id);
    for (const group of this.groups.values()) {
      if (!group.members.includes(id)) continue;
      group.members = group.members.filter((m) => m !== id);
      bump(group);
    }
  }

  writeGroup(id: string | undefined, data: Data, ctx: PeerContext): Data {
    const existing = id === undefined ? undefined : this.groups.get(id);
    if (id !== undefined && existing === undefined) throw scimError(404, '', `Resource ${id} not found`);
    if (existing !== undefined) checkVersion(existing, ctx);
    const displayName = data['displayName'];
    if (typeof displayName !== 'string') throw scimError(400, 'invalidValue', 'displayName is required');
    const list = Array.isArray(data['members']) ? (data['members'] as { value?: unknown }[]) : [];
    const members = [...new Set(list.map((m) => m.value))].map((v) => {
      if (typeof v !== 'string' || !this.users.has(v))
        throw scimError(400, 'invalidValue', 'a member is not a user');
      return v;
    });
    const now = new Date().toISOString();
    const record: GroupRecord = existing ?? {
      id: crypto.randomUUID(),
      created: now,
      lastModified: now,
      version: 0,
      displayName,
      members,
    };
    record.displayName = displayName;
    record.members = members;
    bump(record);
    this.groups.set(record.id, record);
    return this.groupOut(record);
  }

  readGroups(id: string | undefined): Data | Data[] {
    if (id === undefined) return [...this.groups.values()].map((g) => this.groupOut(g));
    const group = this.groups.get(id);
    if (group === undefined) throw scimError(404, '', `Resource ${id} not found`);
    return this.groupOut(group);
  }

  deleteGroup(id: string, ctx: PeerContext): void {
    const group = this.groups.get(id);
    if (group === undefined) throw scimError(404, '', `Resource ${id} not found`);
    checkVersion(group, ctx);
    this.groups.delete(id);
  }

  private byName(userName: string): UserRecord | undefined {
    const wanted = userName.toLowerCase();
    return [...this.users.values()].find((u) => u.userName.toLowerCase() === wanted);
  }

  private userOut(u: UserRecord): Data {
    const groups = [...this.groups.values()].filter((g) => g.members.includes(u.id));
    return {
      id: u.id,
      userName: u.userName,
      active: u.active,
      ...(u.externalId === undefined ? {} : { externalId: u.externalId }),
      ...(u.journal === undefined ? {} : { [CUSTOS_EXTENSION]: { journal: u.journal } }),
      ...(groups.length === 0
        ? {}
        : { groups: groups.map((g) => ({ value: g.id, display: g.displayName })) }),
      meta: meta(u),
    };
  }

  private groupOut(g: GroupRecord): Data {
    const members = g.members.map((value) => ({ value, display: this.users.get(value)?.userName }));
    return { id: g.id, displayName: g.displayName, members, meta: meta(g) };
  }
}

function meta(r: Versioned): Data {
  return { created: r.created, lastModified: r.lastModified, version: versionTag(r) };
}

export function versionTag(r: Versioned): string {
  return `W/"${r.version}"`;
}

function bump(r: Versioned): void {
  r.version += 1;
  r.lastModified = new Date().toISOString();
}

/** RFC 7644 §3.14: a write with If-Match that does not name the current version fails with 412. */
function checkVersion(r: Versioned, ctx: PeerContext): void {
  if (!ctx.etag || ctx.ifMatch === undefined || ctx.ifMatch === '*') return;
  if (ctx.ifMatch !== versionTag(r)) throw scimError(412, '', 'the resource changed: If-Match failed');
}

function scrypt(password: string, salt: string): string {
  return crypto.scryptSync(password, salt, 32, { N: 1024 }).toString('hex');
}

/** scimmy's SCIM error (its typings want a scimType string: '' means none, as scimmy treats it). */
function scimError(status: number, scimType: string, message: string): Error {
  return new SCIMMY.Types.Error(status, scimType, message);
}
