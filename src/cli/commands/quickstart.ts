import { encodeBase64 } from '../../core/bytes.js';
import { verifyLive } from '../../ledger/ledger-verify.js';
import { EXIT, type CliIo, type ParsedArgs } from '../io.js';
import { initialise } from './init.js';
import { printTable } from './open.js';

/**
 * `npm start`: initialises the embedded store (./.custos) if needed, verifies the ledger and shows
 * its status. (The full narrated scenario arrives with the run engine and the API.)
 */
export async function quickstartCommand(args: ParsedArgs, io: CliIo): Promise<number> {
  const custos = await initialise(args, io);
  try {
    const report = await verifyLive(custos.ledger);
    const info = await custos.ledger.info();
    io.out('Custos — accountable automation for non-human identities\n\n');
    printTable(io, [
      ['store', custos.store.description],
      ['ledger origin', info.origin],
      ['records', info.size],
      ['root hash', encodeBase64(info.rootHash)],
      ['latest checkpoint', report.latestCheckpoint],
      ['verified', `yes (${report.records} records, ${report.checkpoints} checkpoints)`],
    ]);
    io.out(
      `\nVerifier key (give it to your auditors):\n  ${info.verifierKey}\n\n` +
        'Try next:\n' +
        '  npx custos ledger verify                 recompute and check the whole ledger\n' +
        '  npx custos ledger export --out evidence  write an export bundle\n' +
        `  npx custos verify evidence --key '${info.verifierKey}'\n` +
        '                                           verify it offline, as an auditor would\n' +
        "  npx custos workflows test examples/bundle   run the example policy bundle's golden decisions\n" +
        '  npx custos identities import examples/inventory.yaml --dry-run --as person:alice\n' +
        '                                           plan an inventory import (drop --dry-run to write it)\n',
    );
    return EXIT.ok;
  } finally {
    await custos.close();
  }
}
