/**
 * The inventory service: typed operations over systems, identities and principals. Every create
 * and update appends its ledger record in the same transaction as the change (see ./batch.ts);
 * the acting principal is always named. Input is validated as untrusted (it may come from an
 * API body); a refused operation throws a CustosError with the first problem's code and field.
 */
import { CustosError } from '../core/errors.js';
import {
  importInventory,
  type ImportOptions,
  type ImportResult,
  type ImportSource,
} from './import/import-file.js';
import { runBatch, type BatchDeps, type BatchOptions, type BatchResult } from './batch.js';
import { applyIdentityEdits, type EditOutcome, type IdentityEdit } from './identity-edits.js';
import type { LedgerTx } from '../ledger/ledger-writer.js';
import type { Identity, Page, PageOf, Principal, System } from './model.js';
import type { Batch, Candidate } from './plan-types.js';
import { Problems, firstProblemError } from './problems.js';
import { recordReconciliation, type ReconciliationInput } from './reconciliation.js';
import { publicPrincipal, readPrincipals } from './read-principals.js';
import { pageIds, readIdentities, readSystems } from './read-entities.js';
import { validateIdentity, type IdentityInput } from './validate-identity.js';
import { validatePrincipal, type PrincipalInput } from './validate-principal.js';
import { validateSystem, type SystemInput } from './validate-system.js';

export interface ActOptions {
  /** The acting principal id (`person:…` or `service:…`). */
  readonly actor: string;
  readonly correlationId?: string;
}

type Patch<T> = Omit<T, 'id'>;
type Kind = 'principal' | 'system' | 'identity';

export type Inventory = ReturnType<typeof createInventory>;

export function createInventory(deps: BatchDeps) {
  const read = () => deps.ledger.store.read;

  /** Validates one entry, plans and writes it; throws the first problem. */
  async function one(
    kind: Kind,
    input: unknown,
    mode: 'create' | 'upsert',
    options: BatchOptions,
  ): Promise<void> {
    const problems = new Problems();
    const validated = VALIDATORS[kind](input, problems);
    if (validated === undefined || !problems.empty) throw firstProblemError(problems.list);
    const result = await runBatch(deps, singleBatch(kind, { input: validated, mode, problems }), options);
    if (!result.ok) throw firstProblemError(problems.list);
  }

  async function mustGet<T>(value: Promise<T | undefined>, kind: Kind, id: string): Promise<T> {
    const found = await value;
    if (found === undefined) throw new CustosError('NOT_FOUND', `${kind} ${id} does not exist`);
    return found;
  }

  const inventory = {
    async getPrincipal(id: string): Promise<Principal | undefined> {
      const found = (await readPrincipals(read(), [id])).get(id);
      return found === undefined ? undefined : publicPrincipal(found);
    },
    async getSystem(id: string): Promise<System | undefined> {
      return (await readSystems(read(), [id])).get(id);
    },
    async getIdentity(id: string): Promise<Identity | undefined> {
      return (await readIdentities(read(), [id])).get(id);
    },
    /** Many principals in one read; an id that does not exist is absent from the map. */
    async getPrincipals(ids: readonly string[]): Promise<Map<string, Principal>> {
      const found = await readPrincipals(read(), ids);
      return new Map([...found].map(([id, p]) => [id, publicPrincipal(p)]));
    },
    /** Many systems in one read; an id that does not exist is absent from the map. */
    getSystems(ids: readonly string[]): Promise<Map<string, System>> {
      return readSystems(read(), ids);
    },
    /** Many identities in one read; an id that does not exist is absent from the map. */
    getIdentities(ids: readonly string[]): Promise<Map<string, Identity>> {
      return readIdentities(read(), ids);
    },

    async createPrincipal(input: PrincipalInput, options: ActOptions): Promise<Principal> {
      await one('principal', input, 'create', options);
      return mustGet(inventory.getPrincipal(input.id), 'principal', input.id);
    },
    async updatePrincipal(id: string, patch: Patch<PrincipalInput>, options: ActOptions): Promise<Principal> {
      await one('principal', { ...patch, id }, 'upsert', {
        ...options,
        mustExist: { kind: 'principal', id },
      });
      return mustGet(inventory.getPrincipal(id), 'principal', id);
    },
    async addMembership(groupId: string, memberId: string, options: ActOptions): Promise<Principal> {
      const member = await mustGet(inventory.getPrincipal(memberId), 'principal', memberId);
      return inventory.updatePrincipal(memberId, { groups: [...member.groups, groupId] }, options);
    },
    async removeMembership(groupId: string, memberId: string, options: ActOptions): Promise<Principal> {
      const member = await mustGet(inventory.getPrincipal(memberId), 'principal', memberId);
      return inventory.updatePrincipal(
        memberId,
        { groups: member.groups.filter((g) => g !== groupId) },
        options,
      );
    },

    async createSystem(input: SystemInput, options: ActOptions): Promise<System> {
      await one('system', input, 'create', options);
      return mustGet(inventory.getSystem(input.id), 'system', input.id);
    },
    async updateSystem(id: string, patch: Patch<SystemInput>, options: ActOptions): Promise<System> {
      await one('system', { ...patch, id }, 'upsert', { ...options, mustExist: { kind: 'system', id } });
      return mustGet(inventory.getSystem(id), 'system', id);
    },

    /**
     * Records a reconciliation of the system against its target (the source-of-truth gate reads
     * it): sets lastReconciledAt and openCriticalFindings, with an `inventory.system_reconciled`
     * record in the same transaction. NOT_FOUND for an unknown system, INPUT_INVALID for bad input.
     */
    recordReconciliation(systemId: string, input: ReconciliationInput): Promise<System> {
      return recordReconciliation(deps, systemId, input);
    },

    async createIdentity(input: IdentityInput, options: ActOptions): Promise<Identity> {
      await one('identity', input, 'create', options);
      return mustGet(inventory.getIdentity(input.id), 'identity', input.id);
    },
    /** Also the lifecycle: `{ state: 'active' }` needs all three owners; transitions follow TRANSITIONS. */
    async updateIdentity(id: string, patch: Patch<IdentityInput>, options: ActOptions): Promise<Identity> {
      await one('identity', { ...patch, id }, 'upsert', { ...options, mustExist: { kind: 'identity', id } });
      return mustGet(inventory.getIdentity(id), 'identity', id);
    },

    async listPrincipals(page: Page = {}): Promise<PageOf<Principal>> {
      return paged(page, 'inventory_principals', async (ids) => {
        const found = await readPrincipals(read(), ids);
        return ids.map((id) => publicPrincipal(found.get(id)!));
      });
    },
    async listSystems(page: Page = {}): Promise<PageOf<System>> {
      return paged(page, 'inventory_systems', async (ids) => pick(ids, await readSystems(read(), ids)));
    },
    async listIdentities(page: Page & { readonly system?: string } = {}): Promise<PageOf<Identity>> {
      const where =
        page.system === undefined ? undefined : { column: 'system_id' as const, value: page.system };
      return paged(
        page,
        'inventory_identities',
        async (ids) => pick(ids, await readIdentities(read(), ids)),
        where,
      );
    },

    /**
     * Edits many identities inside the caller's ledger transaction (the verified effects of the runs
     * one transaction records): one read for all, each edit planned after the ones before it, multi-row
     * writes, each edit's record with its own actor and correlation id. An edit the inventory refuses
     * writes nothing and comes back `refused` with its problems; the others are written.
     */
    applyIdentitiesInTx(tx: LedgerTx, edits: readonly IdentityEdit[]): Promise<EditOutcome[]> {
      return applyIdentityEdits(tx, edits, deps.now());
    },
    /** Plans (and unless `dryRun`, writes) a whole batch. */
    applyBatch(batch: Batch, options: BatchOptions): Promise<BatchResult> {
      return runBatch(deps, batch, options);
    },
    /** Imports a YAML, JSON or CSV text: all or nothing; throws InventoryInputError with every problem. */
    import(source: ImportSource, options: ImportOptions): Promise<ImportResult> {
      return importInventory(inventory, source, options);
    },
  };

  async function paged<T>(
    page: Page,
    table: Parameters<typeof pageIds>[1],
    load: (ids: string[]) => Promise<T[]>,
    where?: Parameters<typeof pageIds>[4],
  ): Promise<PageOf<T>> {
    const limit = page.limit ?? 100;
    if (!Number.isSafeInteger(limit) || limit < 1 || limit > 1000) {
      throw new CustosError('INPUT_INVALID', 'a page limit is between 1 and 1000');
    }
    const ids = await pageIds(read(), table, page.after, limit + 1, where);
    const items = await load(ids.slice(0, limit));
    return ids.length > limit ? { items, next: ids[limit - 1]! } : { items };
  }

  return inventory;
}

const VALIDATORS: Record<Kind, (input: unknown, p: Problems) => unknown> = {
  principal: validatePrincipal,
  system: validateSystem,
  identity: validateIdentity,
};

function singleBatch(kind: Kind, c: Candidate<unknown>): Batch {
  return {
    principals: kind === 'principal' ? [c as Candidate<PrincipalInput>] : [],
    systems: kind === 'system' ? [c as Candidate<SystemInput>] : [],
    identities: kind === 'identity' ? [c as Candidate<IdentityInput>] : [],
  };
}

function pick<T>(ids: readonly string[], found: ReadonlyMap<string, T>): T[] {
  return ids.map((id) => found.get(id)!);
}
