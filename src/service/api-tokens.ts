/**
 * API tokens: `cst_<id>_<secret>`, where the id (8 random bytes, hex) is public and the secret is
 * 32 random bytes (base64url). Only SHA-256(secret) is stored; the token is shown once, when
 * issued. Each token belongs to one person or service, is scoped to some of its roles, expires,
 * and can be revoked. Issuing and revoking are ledger records (never the secret nor its hash).
 * OIDC would resolve a caller the same way: a verified credential -> { principal, scopes }.
 */
import crypto from 'node:crypto';
import { CustosError } from '../core/errors.js';
import type { Inventory, Role } from '../inventory/index.js';
import type { Ledger } from '../ledger/ledger.js';
import type { Actor } from '../ledger/record.js';
import type { ApiTokenInfo, Caller, IssuedApiToken } from './api.js';

export interface ApiTokenDeps {
  readonly ledger: Ledger;
  readonly inventory: Inventory;
  readonly now: () => Date;
}

export interface IssueRequest {
  readonly principal: string;
  readonly name: string;
  readonly scopes?: readonly Role[];
  readonly expiresInDays?: number;
}

/** The caller a presented token stands for, and which token it was (for logs and rate limits). */
export interface Authenticated extends Caller {
  readonly scopes: readonly Role[];
  readonly tokenId: string;
}

const TOKEN = /^cst_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;
const DEFAULT_DAYS = 90;

interface TokenRow {
  id: string;
  principal: string;
  secret_hash: string;
  name: string;
  scopes: string;
  created_by: string;
  created_at: string;
  expires_at: string;
  revoked_at: string | null;
}

const COLUMNS = 'id, principal, secret_hash, name, scopes, created_by, created_at, expires_at, revoked_at';

export async function issueApiToken(
  deps: ApiTokenDeps,
  by: Actor,
  input: IssueRequest,
): Promise<IssuedApiToken> {
  const principal = await deps.inventory.getPrincipal(input.principal);
  if (principal === undefined)
    throw new CustosError('PRINCIPAL_UNKNOWN', `unknown principal ${input.principal}`);
  if (principal.kind === 'group')
    throw new CustosError('PRINCIPAL_KIND_INVALID', 'a group holds no API token');
  const scopes = [...new Set(input.scopes ?? principal.roles)];
  const extra = scopes.filter((s) => !principal.roles.includes(s));
  if (extra.length > 0) {
    throw new CustosError('FIELD_INVALID', `${input.principal} does not hold the role ${extra.join(', ')}`, {
      details: { field: 'scopes' },
    });
  }
  const id = crypto.randomBytes(8).toString('hex');
  const secret = crypto.randomBytes(32).toString('base64url');
  const now = deps.now();
  const row: TokenRow = {
    id,
    principal: principal.id,
    secret_hash: sha256(secret),
    name: input.name,
    scopes: JSON.stringify(scopes),
    created_by: by.id,
    created_at: now.toISOString(),
    expires_at: new Date(now.getTime() + (input.expiresInDays ?? DEFAULT_DAYS) * 86_400_000).toISOString(),
    revoked_at: null,
  };
  await deps.ledger.transact(async (tx) => {
    await tx.run(`INSERT INTO api_tokens (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, [
      row.id,
      row.principal,
      row.secret_hash,
      row.name,
      row.scopes,
      row.created_by,
      row.created_at,
      row.expires_at,
      null,
    ]);
    await tx.append({
      type: 'api.token_issued',
      correlationId: `apitoken:${id}`,
      actor: by,
      subject: { kind: 'principal', id: principal.id },
      payload: { id, label: row.name, scopes, expiresAt: row.expires_at },
    });
  });
  return { ...toInfo(row), token: `cst_${id}_${secret}` };
}

/**
 * The caller a presented bearer token stands for (attacker-controlled input): UNAUTHENTICATED for
 * anything but a known, unexpired, unrevoked token whose secret hashes to the stored hash.
 */
export async function authenticateApiToken(deps: ApiTokenDeps, presented: string): Promise<Authenticated> {
  const match = TOKEN.exec(presented);
  const row = match === null ? undefined : await readToken(deps.ledger, match[1]!);
  const given = Buffer.from(sha256(match?.[2] ?? ''), 'hex');
  const stored = Buffer.from(row?.secret_hash ?? '00'.repeat(32), 'hex');
  const equal = given.length === stored.length && crypto.timingSafeEqual(given, stored);
  if (row === undefined || !equal) throw unauthenticated('unknown');
  if (row.revoked_at !== null) throw unauthenticated('revoked');
  if (deps.now().toISOString() >= row.expires_at) throw unauthenticated('expired');
  return { principal: row.principal, scopes: JSON.parse(row.scopes) as Role[], tokenId: row.id };
}

export async function listApiTokens(ledger: Ledger, principal?: string): Promise<ApiTokenInfo[]> {
  const rows = await ledger.store.read.query<TokenRow & Record<string, unknown>>(
    principal === undefined
      ? `SELECT ${COLUMNS} FROM api_tokens ORDER BY created_at, id`
      : `SELECT ${COLUMNS} FROM api_tokens WHERE principal = ? ORDER BY created_at, id`,
    principal === undefined ? [] : [principal],
  );
  return rows.map(toInfo);
}

export async function getApiToken(ledger: Ledger, id: string): Promise<ApiTokenInfo> {
  const row = await readToken(ledger, id);
  if (row === undefined) throw new CustosError('NOT_FOUND', `no API token ${id}`);
  return toInfo(row);
}

/** Revokes a token (again: a no-op); the revocation is a ledger record. */
export async function revokeApiToken(deps: ApiTokenDeps, by: Actor, id: string): Promise<ApiTokenInfo> {
  await deps.ledger.transact(async (tx) => {
    const changed = await tx.run('UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL', [
      deps.now().toISOString(),
      id,
    ]);
    if (changed === 0) return;
    const [row] = await tx.query<{ principal: string }>('SELECT principal FROM api_tokens WHERE id = ?', [
      id,
    ]);
    await tx.append({
      type: 'api.token_revoked',
      correlationId: `apitoken:${id}`,
      actor: by,
      subject: { kind: 'principal', id: row!.principal },
      payload: { id },
    });
  });
  return getApiToken(deps.ledger, id);
}

async function readToken(ledger: Ledger, id: string): Promise<TokenRow | undefined> {
  const rows = await ledger.store.read.query<TokenRow & Record<string, unknown>>(
    `SELECT ${COLUMNS} FROM api_tokens WHERE id = ?`,
    [id],
  );
  return rows[0];
}

function toInfo(row: TokenRow): ApiTokenInfo {
  return {
    id: row.id,
    principal: row.principal,
    name: row.name,
    scopes: JSON.parse(row.scopes) as Role[],
    createdBy: row.created_by,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    revokedAt: row.revoked_at,
  };
}

function sha256(text: string): string {
  return crypto.createHash('sha256').update(text, 'utf8').digest('hex');
}

function unauthenticated(reason: 'unknown' | 'revoked' | 'expired'): CustosError {
  return new CustosError(
    'UNAUTHENTICATED',
    `the API token is ${reason === 'unknown' ? 'not valid' : reason}`,
    {
      details: { reason },
    },
  );
}
