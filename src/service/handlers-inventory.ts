/** Systems, identities, principals, imports and approvers' keys. */
import { CustosError } from '../core/errors.js';
import { countActions } from '../inventory/index.js';
import type { Identity, IdentityInput, Principal, System } from '../inventory/index.js';
import { forbidden, hasRole, names, type Acting } from './authorize.js';
import { compact } from './compact.js';
import type { Handlers, ServiceContext } from './context.js';

type InventoryOps =
  | 'listSystems'
  | 'getSystem'
  | 'upsertSystem'
  | 'listIdentities'
  | 'getIdentity'
  | 'upsertIdentity'
  | 'listPrincipals'
  | 'getPrincipal'
  | 'upsertPrincipal'
  | 'importInventory'
  | 'registerKey';

export const inventoryHandlers: Handlers<InventoryOps> = {
  listSystems: (ctx, _a, input) => ctx.custos.inventory.listSystems(compact(input)),
  getSystem: async (ctx, _a, { id }) => found(await ctx.custos.inventory.getSystem(id), 'system', id),
  upsertSystem: async (ctx, acting, { id, ...patch }) => {
    const inventory = ctx.custos.inventory;
    const options = { actor: acting.id };
    const fields = compact(patch);
    return (await inventory.getSystem(id)) === undefined
      ? inventory.createSystem({ id, ...fields }, options)
      : inventory.updateSystem(id, fields, options);
  },

  listIdentities: (ctx, _a, input) => ctx.custos.inventory.listIdentities(compact(input)),
  getIdentity: async (ctx, _a, { id }) => found(await ctx.custos.inventory.getIdentity(id), 'identity', id),
  upsertIdentity: async (ctx, acting, { id, ...patch }) => {
    const inventory = ctx.custos.inventory;
    const existing = await inventory.getIdentity(id);
    checkIdentitySteward(acting, existing);
    const options = { actor: acting.id };
    // The inventory validates the entry again as untrusted input (nested members included).
    const fields = compact(patch) as Omit<IdentityInput, 'id'>;
    return existing === undefined
      ? inventory.createIdentity({ id, ...fields }, options)
      : inventory.updateIdentity(id, fields, options);
  },

  listPrincipals: (ctx, _a, input) => ctx.custos.inventory.listPrincipals(compact(input)),
  getPrincipal: async (ctx, _a, { id }) =>
    found(await ctx.custos.inventory.getPrincipal(id), 'principal', id),
  upsertPrincipal: async (ctx, acting, { id, ...patch }) => {
    const inventory = ctx.custos.inventory;
    const options = { actor: acting.id };
    const fields = compact(patch);
    const existing = await inventory.getPrincipal(id);
    if (existing === undefined) return inventory.createPrincipal({ id, ...fields }, options);
    // Workaround: the inventory's update plans only the groups a patch names, so a patch without
    // `groups` would find the stored ones unknown (PRINCIPAL_UNKNOWN). Name them.
    const groups = existing.kind === 'group' ? {} : { groups: fields.groups ?? existing.groups };
    return inventory.updatePrincipal(id, { ...fields, ...groups }, options);
  },

  importInventory: async (ctx, acting, input) => {
    const result = await ctx.custos.inventory.import(
      compact({ file: input.file ?? 'import', text: input.text, format: input.format, kind: input.kind }),
      compact({ actor: acting.id, dryRun: input.dryRun }),
    );
    return {
      dryRun: result.dryRun,
      correlationId: result.correlationId,
      ...countActions(result.items),
      records: result.records.length,
    };
  },

  registerKey: async (ctx, acting, { principal, publicKey }) => {
    if (principal !== acting.id) throw forbidden('registerKey', 'a person registers only their own key');
    const existing = await registeredKey(ctx, publicKey);
    if (existing !== undefined) {
      if (existing.principal !== principal)
        throw new CustosError('STORE_CONFLICT', 'this key is registered to another principal');
      return existing;
    }
    const engine = await ctx.custos.runs();
    return { principal, keyId: await engine.registerApproverKey(principal, publicKey) };
  },
};

/**
 * An admin manages every identity; an owner only those that name them (or one of their groups)
 * as an owner. Creating an identity is an admin's (or a `create` request's) business.
 */
function checkIdentitySteward(acting: Acting, existing: Identity | undefined): void {
  if (hasRole(acting, 'admin')) return;
  if (existing === undefined) throw forbidden('upsertIdentity', 'only an admin creates an identity directly');
  if (!Object.values(existing.owners).some((owner) => names(acting, owner))) {
    throw forbidden('upsertIdentity', `${acting.id} is not an owner of ${existing.id}`);
  }
}

/**
 * The engine's key registration refuses a duplicate with a raw unique violation, so an already
 * registered key is looked up first (read-only) and answered idempotently.
 */
async function registeredKey(ctx: ServiceContext, publicKey: string) {
  const rows = await ctx.custos.store.read.query<{ key_id: string; principal: string }>(
    'SELECT key_id, principal FROM approver_keys WHERE public_key = ?',
    [publicKey],
  );
  const row = rows[0];
  return row === undefined ? undefined : { principal: row.principal, keyId: row.key_id };
}

function found<T extends System | Identity | Principal>(value: T | undefined, kind: string, id: string): T {
  if (value === undefined) throw new CustosError('NOT_FOUND', `${kind} ${id} does not exist`);
  return value;
}
