/**
 * `custos keys`: an approver's Ed25519 signing key, created on this machine (0600 file in a 0700
 * directory) with only its public half registered with Custos.
 *
 *   keys create [--as P] [--key-dir DIR]     create the key locally and register its public half
 *   keys register [--as P] [--key-dir DIR]   register an existing local key (e.g. with another server)
 *   keys list [--key-dir DIR] [--json]       the keys on this machine (principal, key id; no secrets)
 *
 * Over --server the principal is the API token's holder (--as, if given, must name the same one).
 */
import { CustosError } from '../../core/errors.js';
import { wantsJson } from '../args.js';
import { actingPrincipal, withBackend } from '../backend.js';
import { EXIT, type CliIo, type ParsedArgs } from '../io.js';
import { createSigningKey, keyDir, listSigningKeys, loadSigningKey } from '../key-store.js';
import { printColumns } from './inventory-format.js';
import { printJson } from './open.js';

const USAGE = 'usage: custos keys create|register [--as P] [--key-dir DIR] | keys list [--key-dir DIR]';

export function keysCommand(args: ParsedArgs, io: CliIo): Promise<number> {
  const sub = args.positional[0];
  const dir = keyDir(args, io);
  if (sub === 'list') {
    const keys = listSigningKeys(dir);
    if (wantsJson(args)) printJson(io, keys);
    else
      printColumns(
        io,
        ['PRINCIPAL', 'KEY ID', 'FILE'],
        keys.map((k) => [k.principal, k.keyId, k.file]),
      );
    return Promise.resolve(EXIT.ok);
  }
  if (sub !== 'create' && sub !== 'register') throw new CustosError('INPUT_INVALID', USAGE);
  return withBackend(args, io, async (backend) => {
    const me = await backend.api.whoami(backend.caller, {});
    const principal = me.principal;
    // Only approvers register keys: refuse before a key file is made that could never be used.
    if (!me.roles.includes('approver'))
      throw new CustosError(
        'FORBIDDEN',
        `${principal} does not hold the approver role: no signing key needed`,
      );
    const asked = actingPrincipal(args, io);
    if (backend.remote && asked !== undefined && asked !== principal) {
      throw new CustosError('INPUT_INVALID', `--as ${asked}, but CUSTOS_TOKEN belongs to ${principal}`);
    }
    // Create first: a key that could not be registered stays on disk, to register later.
    const key = sub === 'create' ? createSigningKey(dir, principal) : loadSigningKey(dir, principal);
    const registered = await backend.api.registerKey(backend.caller, { principal, publicKey: key.publicKey });
    if (wantsJson(args)) printJson(io, { ...registered, keyDir: dir });
    else io.out(`${registered.principal} ${registered.keyId}\n`);
    io.err(`private key kept in ${dir} (mode 0600); Custos holds only the public half\n`);
    return EXIT.ok;
  });
}
