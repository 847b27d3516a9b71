import path from 'node:path';
import { CustosError } from '../../core/errors.js';
import { encodeBase64 } from '../../core/bytes.js';
import { exportLedger } from '../../evidence/ledger-export.js';
import { verifyLive } from '../../ledger/ledger-verify.js';
import { formatTlogProof } from '../../verifier/tlog-proof.js';
import { collectCosignatures } from '../../witness/index.js';
import { EXIT, progressBar, type CliIo, type ParsedArgs } from '../io.js';
import { printJson, withCustos } from './open.js';
import { trustedLogKey, witnessKeys } from './verify.js';
import { serverUrl } from '../args.js';

const USAGE = 'usage: custos ledger verify|checkpoint|export|prune|proof|witness [options]';

function intFlag(args: ParsedArgs, name: string): number | undefined {
  const v = args.flags[name];
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v) || !Number.isSafeInteger(Number(v))) {
    throw new CustosError('INPUT_INVALID', `--${name} must be a non-negative integer`);
  }
  return Number(v);
}

export function ledgerCommand(args: ParsedArgs, io: CliIo): Promise<number> {
  if (serverUrl(args, io) !== undefined)
    return import('./ledger-remote.js').then((m) => m.remoteLedgerCommand(args, io));
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
        const signed = await ledger.checkpoint();
        const witnesses = await collectCosignatures(ledger, signed);
        const cp = (await ledger.checkpointAt(signed.size)) ?? signed;
        if (args.bools.has('json')) {
          printJson(io, { size: cp.size, rootHash: encodeBase64(cp.rootHash), note: cp.note, witnesses });
        } else {
          io.out(cp.note);
          for (const w of witnesses)
            if (!w.ok) io.err(`warning: witness ${w.witness} did not cosign (${w.code})\n`);
        }
        return EXIT.ok;
      }
      case 'witness': {
        // custos ledger witness add VKEY [--url URL]: trust a witness and (with a URL) ask it to cosign.
        const [, action, vkey] = args.positional;
        if (action !== 'add' || vkey === undefined) {
          throw new CustosError('INPUT_INVALID', 'usage: custos ledger witness add VKEY [--url URL]');
        }
        await ledger.addWitness(vkey, args.flags['url']);
        io.out(`witness added: ${vkey.split('+')[0]!}\n`);
        return EXIT.ok;
      }
      case 'export': {
        const out = args.flags['out'];
        if (out === undefined)
          throw new CustosError('INPUT_INVALID', 'usage: custos ledger export --out DIR [--from N --to M]');
        const from = intFlag(args, 'from');
        const to = intFlag(args, 'to');
        // Cover everything recorded so far with a fresh, witnessed checkpoint when this process can sign.
        const signed = await ledger.checkpoint().catch((e: unknown) => {
          if (e instanceof CustosError && e.code === 'KEY_MISSING') return undefined;
          throw e;
        });
        if (signed !== undefined) await collectCosignatures(ledger, signed);
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
