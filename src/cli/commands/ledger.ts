import path from 'node:path';
import { CustosError } from '../../core/errors.js';
import { encodeBase64 } from '../../core/bytes.js';
import { exportLedger } from '../../evidence/ledger-export.js';
import { verifyLive } from '../../ledger/ledger-verify.js';
import { formatTlogProof } from '../../verifier/tlog-proof.js';
import { EXIT, progressBar, type CliIo, type ParsedArgs } from '../io.js';
import { printJson, withCustos } from './open.js';
import { trustedLogKey, witnessKeys } from './verify.js';

const USAGE = 'usage: custos ledger verify|checkpoint|export|prune|proof [options]';

function intFlag(args: ParsedArgs, name: string): number | undefined {
  const v = args.flags[name];
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v) || !Number.isSafeInteger(Number(v))) {
    throw new CustosError('INPUT_INVALID', `--${name} must be a non-negative integer`);
  }
  return Number(v);
}

export function ledgerCommand(args: ParsedArgs, io: CliIo): Promise<number> {
  const [sub] = args.positional;
  return withCustos(args, io, async ({ ledger, now }) => {
    switch (sub) {
      case 'verify': {
        const logKey = trustedLogKey(args);
        const report = await verifyLive(ledger, {
          ...(logKey === undefined ? {} : { logKey }),
          witnessKeys: witnessKeys(args),
          onProgress: progressBar(io, 'verifying'),
        });
        if (args.bools.has('json')) printJson(io, { ok: true, ...report });
        else
          io.out(
            `OK ${report.origin}: ${report.records} records, ${report.checkpoints} checkpoint(s) verified\n`,
          );
        return EXIT.ok;
      }
      case 'checkpoint': {
        const cp = await ledger.checkpoint();
        if (args.bools.has('json'))
          printJson(io, { size: cp.size, rootHash: encodeBase64(cp.rootHash), note: cp.note });
        else io.out(cp.note);
        return EXIT.ok;
      }
      case 'export': {
        const out = args.flags['out'];
        if (out === undefined)
          throw new CustosError('INPUT_INVALID', 'usage: custos ledger export --out DIR [--from N --to M]');
        const from = intFlag(args, 'from');
        const to = intFlag(args, 'to');
        // Cover everything recorded so far with a fresh signed checkpoint when this process can sign.
        await ledger.checkpoint().catch((e: unknown) => {
          if (!(e instanceof CustosError && e.code === 'KEY_MISSING')) throw e;
        });
        const manifest = await exportLedger(ledger, {
          outDir: path.resolve(io.cwd, out),
          ...(from === undefined ? {} : { from }),
          ...(to === undefined ? {} : { to }),
          witnessKeys: witnessKeys(args),
          now,
          onProgress: progressBar(io, 'exporting'),
        });
        io.out(
          `exported ${manifest.kind} [${manifest.from}, ${manifest.to}) of tree ${manifest.treeSize} to ${out}\n`,
        );
        return EXIT.ok;
      }
      case 'prune': {
        const below = intFlag(args, 'below');
        if (below === undefined)
          throw new CustosError('INPUT_INVALID', 'usage: custos ledger prune --below N');
        const record = await ledger.prune(below, { kind: 'human', id: io.env['USER'] ?? 'operator' });
        io.out(`pruned records below ${below} (recorded as record ${record.index})\n`);
        return EXIT.ok;
      }
      case 'proof': {
        const index = intFlag(args, 'index');
        const latest = await ledger.latestCheckpoint();
        if (index === undefined)
          throw new CustosError('INPUT_INVALID', 'usage: custos ledger proof --index N');
        if (latest === undefined) throw new CustosError('CHECKPOINT_MISSING', 'no signed checkpoint yet');
        const proof = await ledger.inclusionProof(index, latest.size);
        io.out(formatTlogProof({ index, proof, checkpoint: latest.note }));
        return EXIT.ok;
      }
      default:
        throw new CustosError('INPUT_INVALID', USAGE);
    }
  });
}
