import { encodeBase64 } from '../../core/bytes.js';
import { parseNote } from '../../ledger/note/index.js';
import { EXIT, type CliIo, type ParsedArgs } from '../io.js';
import { printJson, printTable, withCustos } from './open.js';

export function statusCommand(args: ParsedArgs, io: CliIo): Promise<number> {
  return withCustos(args, io, async ({ config, store, ledger }) => {
    const info = await ledger.info();
    const latest = await ledger.latestCheckpoint();
    const signatures = latest ? parseNote(latest.note).signatures.length : 0;
    const status = {
      dataDir: config.dataDir,
      store: store.description,
      origin: info.origin,
      verifierKey: info.verifierKey,
      records: info.size,
      rootHash: encodeBase64(info.rootHash),
      prunedBelow: info.prunedBelow,
      latestCheckpoint: latest?.size ?? null,
      cosignatures: Math.max(0, signatures - 1),
    };
    if (args.bools.has('json')) printJson(io, status);
    else
      printTable(
        io,
        Object.entries(status).map(([k, v]) => [k, String(v)]),
      );
    return EXIT.ok;
  });
}
