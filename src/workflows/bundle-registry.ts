/**
 * Governed deployment of workflow bundles. Deploying files a change for the bundle (its content
 * hash and the decisions it would change); only the bundle's policy owners — never the person who
 * filed it nor the bundle's author — can approve it, each once; when all have approved, the
 * version becomes active. Every step is a ledger record committed with the state change, and
 * every version stays retrievable by hash.
 */
import { CustosError } from '../core/errors.js';
import { encodeBase64 } from '../core/bytes.js';
import type { Ledger } from '../ledger/ledger.js';
import type { Actor } from '../ledger/record.js';
import { diffBundles, loadBundleFromFiles, type LoadedBundle } from '../policy/index.js';
import { decodeFiles, encodeFiles } from './stored-files.js';

export type VersionStatus = 'pending' | 'active' | 'superseded' | 'rejected';

export interface BundleVersion {
  readonly hash: string;
  readonly name: string;
  readonly versionLabel: string;
  readonly author: string;
  readonly filedBy: string;
  readonly filedAt: string;
  readonly status: VersionStatus;
  readonly requiredApprovers: readonly string[];
  readonly approvals: readonly {
    approver: string;
    decision: 'approve' | 'reject';
    rationale: string | null;
  }[];
  readonly changes: readonly string[];
}

/** Who a principal id is, for separation of duties: only people approve. */
export type PrincipalLookup = (
  id: string,
) => Promise<{ readonly kind: 'person' | 'group' | 'service' } | undefined>;

export interface BundleRegistryDeps {
  readonly ledger: Ledger;
  readonly principals: PrincipalLookup;
}

interface VersionRow {
  hash: string;
  name: string;
  version_label: string;
  author: string;
  filed_by: string;
  filed_at: string;
  status: VersionStatus;
  files: Uint8Array;
  changes: string;
  required_approvers: string;
  filed_index: number | null;
  filed_leaf: string | null;
}

const COLUMNS =
  'hash, name, version_label, author, filed_by, filed_at, status, files, changes, required_approvers, filed_index, filed_leaf';

export class BundleRegistry {
  private readonly loaded = new Map<string, LoadedBundle>();

  constructor(private readonly deps: BundleRegistryDeps) {}

  /** Files a deployment of a bundle that already passed lint and its golden cases. */
  async file(bundle: LoadedBundle, filedBy: string): Promise<BundleVersion> {
    const actor = await this.actor(filedBy, ['person', 'service']);
    const active = await this.active();
    const changes = active === undefined ? [] : diffBundles(active, bundle).changes.map((c) => c.name);
    const requiredApprovers = [...new Set([...bundle.workflows.values()].map((w) => w.owners.policy))].sort();
    const conflicted = requiredApprovers.filter((p) => p === filedBy || p === bundle.manifest.author);
    if (conflicted.length === requiredApprovers.length) {
      throw new CustosError(
        'SOD_VIOLATION',
        'no policy owner of this bundle other than its author could approve it',
        {
          details: { filedBy, author: bundle.manifest.author },
        },
      );
    }
    const now = this.deps.ledger.now().toISOString();
    const { records } = await this.deps.ledger.transact(async (tx) => {
      const existing = await tx.query<{ status: string }>(
        'SELECT status FROM bundle_versions WHERE hash = ?',
        [bundle.hash],
      );
      if (existing[0] !== undefined && existing[0].status !== 'rejected') {
        throw new CustosError(
          'STORE_CONFLICT',
          `bundle ${bundle.hash} was already filed (${existing[0].status})`,
        );
      }
      await tx.run('DELETE FROM bundle_versions WHERE hash = ?', [bundle.hash]);
      await tx.run('DELETE FROM bundle_approvals WHERE hash = ?', [bundle.hash]);
      await tx.run(
        `INSERT INTO bundle_versions (hash, name, version_label, author, filed_by, filed_at, status, files, changes, required_approvers)
         VALUES (?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?)`,
        [
          bundle.hash,
          bundle.manifest.name,
          bundle.manifest.version,
          bundle.manifest.author,
          filedBy,
          now,
          encodeFiles(bundle.files),
          JSON.stringify(changes),
          JSON.stringify(requiredApprovers),
        ],
      );
      await tx.append({
        type: 'workflows.deploy_filed',
        correlationId: `bundle:${bundle.hash.slice(7, 23)}`,
        actor,
        subject: { kind: 'bundle', id: bundle.manifest.name },
        bundleHash: bundle.hash,
        payload: {
          hash: bundle.hash,
          version: bundle.manifest.version,
          author: bundle.manifest.author,
          previous: active?.hash ?? null,
          changedDecisions: changes,
          requiredApprovers,
        },
      });
    });
    const filed = records[0]!;
    await this.deps.ledger.transact((tx) =>
      tx.run('UPDATE bundle_versions SET filed_index = ?, filed_leaf = ? WHERE hash = ?', [
        filed.index,
        encodeBase64(filed.leafHash),
        bundle.hash,
      ]),
    );
    this.loaded.set(bundle.hash, bundle);
    return (await this.get(bundle.hash))!;
  }

  /** A policy owner approves or rejects a pending version; the last approval activates it. */
  async decide(
    hash: string,
    approver: string,
    decision: 'approve' | 'reject',
    rationale?: string,
  ): Promise<BundleVersion> {
    const actor = await this.actor(approver, ['person']);
    const version = await this.get(hash);
    if (version === undefined) throw new CustosError('NOT_FOUND', `no filed bundle ${hash}`);
    if (version.status !== 'pending')
      throw new CustosError('STORE_CONFLICT', `bundle ${hash} is ${version.status}`);
    if (approver === version.filedBy || approver === version.author) {
      throw new CustosError(
        'SOD_VIOLATION',
        `${approver} filed or wrote this bundle and cannot decide on it`,
      );
    }
    if (!version.requiredApprovers.includes(approver)) {
      throw new CustosError('SOD_VIOLATION', `${approver} is not a policy owner of this bundle`);
    }
    if (version.approvals.some((a) => a.approver === approver)) {
      throw new CustosError('SOD_VIOLATION', `${approver} already decided on this bundle`);
    }
    if (decision === 'reject' && !rationale)
      throw new CustosError('INPUT_INVALID', 'a rejection needs a rationale');
    const row = await this.row(hash);
    const now = this.deps.ledger.now().toISOString();
    const approvedBy = [
      ...version.approvals.filter((a) => a.decision === 'approve').map((a) => a.approver),
      approver,
    ];
    const eligible = version.requiredApprovers.filter((p) => p !== version.filedBy && p !== version.author);
    const activates = decision === 'approve' && eligible.every((p) => approvedBy.includes(p));
    await this.deps.ledger.transact(async (tx) => {
      await tx.run(
        'INSERT INTO bundle_approvals (hash, approver, decision, rationale, decided_at) VALUES (?, ?, ?, ?, ?)',
        [hash, approver, decision, rationale ?? null, now],
      );
      const refs =
        row?.filed_index != null && row.filed_leaf
          ? [{ index: row.filed_index, leafHash: row.filed_leaf }]
          : [];
      await tx.append({
        type: decision === 'approve' ? 'workflows.deploy_approved' : 'workflows.deploy_rejected',
        correlationId: `bundle:${hash.slice(7, 23)}`,
        actor,
        subject: { kind: 'bundle', id: version.name },
        bundleHash: hash,
        payload: { hash, rationale: rationale ?? null, activates },
        refs,
      });
      if (decision === 'reject') {
        await tx.run("UPDATE bundle_versions SET status = 'rejected', decided_at = ? WHERE hash = ?", [
          now,
          hash,
        ]);
      } else if (activates) {
        const previous = await tx.query<{ hash: string }>(
          "SELECT hash FROM bundle_versions WHERE status = 'active'",
        );
        await tx.run("UPDATE bundle_versions SET status = 'superseded' WHERE status = 'active'");
        await tx.run("UPDATE bundle_versions SET status = 'active', decided_at = ? WHERE hash = ?", [
          now,
          hash,
        ]);
        await tx.append({
          type: 'workflows.version_activated',
          correlationId: `bundle:${hash.slice(7, 23)}`,
          actor,
          subject: { kind: 'bundle', id: version.name },
          bundleHash: hash,
          payload: { hash, previous: previous[0]?.hash ?? null, approvedBy },
          refs,
        });
      }
    });
    return (await this.get(hash))!;
  }

  /** The active bundle, loaded (and preparsed) once per hash. */
  async active(): Promise<LoadedBundle | undefined> {
    const rows = await this.deps.ledger.store.read.query<{ hash: string }>(
      "SELECT hash FROM bundle_versions WHERE status = 'active'",
    );
    return rows[0] === undefined ? undefined : this.load(rows[0].hash);
  }

  /** Any version ever filed, by hash. */
  async load(hash: string): Promise<LoadedBundle> {
    const cached = this.loaded.get(hash);
    if (cached !== undefined) return cached;
    const row = await this.row(hash);
    if (row === undefined) throw new CustosError('NOT_FOUND', `no bundle version ${hash}`);
    const bundle = loadBundleFromFiles(decodeFiles(row.files));
    if (bundle.hash !== hash)
      throw new CustosError('STORE_CONFLICT', `stored bundle ${hash} does not hash to itself`);
    this.loaded.set(hash, bundle);
    return bundle;
  }

  async get(hash: string): Promise<BundleVersion | undefined> {
    const row = await this.row(hash);
    return row === undefined ? undefined : this.toVersion(row);
  }

  async list(): Promise<BundleVersion[]> {
    const rows = await this.deps.ledger.store.read.query<VersionRow & Record<string, unknown>>(
      `SELECT ${COLUMNS} FROM bundle_versions ORDER BY filed_at, hash`,
    );
    return Promise.all(rows.map((r) => this.toVersion(r)));
  }

  private async row(hash: string): Promise<VersionRow | undefined> {
    const rows = await this.deps.ledger.store.read.query<VersionRow & Record<string, unknown>>(
      `SELECT ${COLUMNS} FROM bundle_versions WHERE hash = ?`,
      [hash],
    );
    return rows[0];
  }

  private async toVersion(row: VersionRow): Promise<BundleVersion> {
    const approvals = await this.deps.ledger.store.read.query<{
      approver: string;
      decision: 'approve' | 'reject';
      rationale: string | null;
    }>(
      'SELECT approver, decision, rationale FROM bundle_approvals WHERE hash = ? ORDER BY decided_at, approver',
      [row.hash],
    );
    return {
      hash: row.hash,
      name: row.name,
      versionLabel: row.version_label,
      author: row.author,
      filedBy: row.filed_by,
      filedAt: row.filed_at,
      status: row.status,
      requiredApprovers: JSON.parse(row.required_approvers) as string[],
      approvals,
      changes: JSON.parse(row.changes) as string[],
    };
  }

  private async actor(id: string, kinds: readonly ('person' | 'service')[]): Promise<Actor> {
    const principal = await this.deps.principals(id);
    if (principal === undefined) throw new CustosError('PRINCIPAL_UNKNOWN', `unknown principal ${id}`);
    if (!(kinds as readonly string[]).includes(principal.kind)) {
      throw new CustosError(
        'PRINCIPAL_KIND_INVALID',
        `${id} is a ${principal.kind}; expected ${kinds.join(' or ')}`,
      );
    }
    return { kind: principal.kind === 'person' ? 'human' : 'non_human', id };
  }
}
