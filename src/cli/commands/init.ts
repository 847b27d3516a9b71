import crypto from 'node:crypto';
import { CustosError } from '../../core/errors.js';
import { parseConfig } from '../../config/index.js';
import { createLogKeys, hasLogKey, keyPaths } from '../../keys/index.js';
import { openCustos, type Custos } from '../../main.js';
import { EXIT, type CliIo, type ParsedArgs } from '../io.js';
import fs from 'node:fs';

/**
 * `custos init`: creates the log key (private file 0600) and the fingerprint key, creates the
 * ledger with a genesis record, signs the first checkpoint, and prints the C2SP verifier key.
 * Idempotent: on an initialised installation it prints the existing verifier key.
 */
export async function initCommand(args: ParsedArgs, io: CliIo): Promise<number> {
  const custos = await initialise(args, io);
  try {
    const info = await custos.ledger.info();
    if (args.bools.has('json'))
      io.out(`${JSON.stringify({ origin: info.origin, verifierKey: info.verifierKey })}\n`);
    else io.out(`${info.verifierKey}\n`);
    return EXIT.ok;
  } finally {
    await custos.close();
  }
}

/**
 * Shared by init and quickstart: returns an open installation, creating what is missing. The
 * quickstart passes its own clock (it starts behind and jumps to the present at a break-glass expiry).
 */
export async function initialise(args: ParsedArgs, io: CliIo, now?: () => Date): Promise<Custos> {
  const config = parseConfig({ env: io.env, flags: args.flags, cwd: io.cwd });
  const origin = config.logOrigin ?? `custos.local/${crypto.randomBytes(6).toString('hex')}`;
  let created = false;
  if (!hasLogKey(config.keysDir)) {
    createLogKeys(config.keysDir, origin);
    created = true;
  }
  const custos = await openCustos(config, now);
  try {
    const verifierKey = fs.readFileSync(keyPaths(config.keysDir).logVkey, 'utf8').trim();
    if (!(await custos.ledger.exists())) {
      await custos.ledger.create(verifierKey.split('+')[0]!, verifierKey);
      await custos.ledger.checkpoint();
      io.err(`custos: created ledger ${verifierKey.split('+')[0]!} in ${custos.store.description}\n`);
    } else {
      const info = await custos.ledger.info();
      if (info.verifierKey !== verifierKey) {
        throw new CustosError('KEY_MISMATCH', `the store's ledger is signed by another key (${info.origin})`);
      }
      if (created) io.err('custos: created keys for an existing ledger\n');
    }
    return custos;
  } catch (e) {
    await custos.close();
    throw e;
  }
}
