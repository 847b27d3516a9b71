/**
 * `custos ledger … --server URL`: the ledger of a Custos server, through its API. `verify` asks the
 * server to recompute its own ledger (what an operator wants to know); an auditor who trusts no
 * server exports instead and verifies the files offline with `custos verify DIR --key VKEY`.
 */
import fs from 'node:fs';
import path from 'node:path';
import { CustosError } from '../../core/errors.js';
import { formatTlogProof } from '../../verifier/tlog-proof.js';
import { intFlag, wantsJson } from '../args.js';
import { withBackend } from '../backend.js';
import { EXIT, type CliIo, type ParsedArgs } from '../io.js';
import { printJson } from './open.js';

export function remoteLedgerCommand(args: ParsedArgs, io: CliIo): Promise<number> {
  const sub = args.positional[0];
  return withBackend(args, io, async ({ api, caller }) => {
    switch (sub) {
      case 'verify': {
        const head = await api.ledgerHead(caller, {});
        const key = args.flags['key'];
        if (key !== undefined && key !== head.verifierKey) {
          throw new CustosError('VKEY_MALFORMED', 'the server signs with another key than --key', {
            details: { origin: head.origin },
          });
        }
        const report = await api.verifyLedger(caller, {});
        if (wantsJson(args)) printJson(io, { ok: true, ...report });
        else
          io.out(
            `OK ${report.origin}: ${report.records} records, ${report.checkpoints} checkpoint(s) verified by the server\n`,
          );
        return EXIT.ok;
      }
      case 'checkpoint': {
        const cp = await api.signCheckpoint(caller, {});
        if (wantsJson(args)) printJson(io, cp);
        else io.out(cp.note);
        return EXIT.ok;
      }
      case 'export': {
        const out = args.flags['out'];
        if (out === undefined)
          throw new CustosError('INPUT_INVALID', 'usage: custos ledger export --out DIR [--from N --to M]');
        const dir = path.resolve(io.cwd, out);
        if (fs.existsSync(dir) && fs.readdirSync(dir).length > 0)
          throw new CustosError('EXPORT_TARGET_EXISTS', `${out} exists and is not empty`);
        const from = intFlag(args, 'from');
        const to = intFlag(args, 'to');
        const exported = await api.exportLedger(caller, {
          ...(from === undefined ? {} : { from }),
          ...(to === undefined ? {} : { to }),
        });
        for (const file of exported.files) {
          // Attacker-controlled paths (a hostile server): each must stay inside DIR.
          const target = path.resolve(dir, ...file.path.split('/'));
          if (!target.startsWith(dir + path.sep))
            throw new CustosError(
              'EXPORT_MALFORMED',
              `the server sent a file outside the export: ${file.path}`,
            );
          fs.mkdirSync(path.dirname(target), { recursive: true });
          fs.writeFileSync(target, file.content);
        }
        const m = exported.manifest;
        io.out(`exported ${m.kind} [${m.from}, ${m.to}) of tree ${m.treeSize} to ${out}\n`);
        return EXIT.ok;
      }
      case 'proof': {
        const index = intFlag(args, 'index');
        if (index === undefined)
          throw new CustosError('INPUT_INVALID', 'usage: custos ledger proof --index N');
        const head = await api.ledgerHead(caller, {});
        if (head.checkpoint === null) throw new CustosError('CHECKPOINT_MISSING', 'no signed checkpoint yet');
        const { proof } = await api.inclusionProof(caller, { index, size: head.checkpoint.size });
        io.out(
          formatTlogProof({
            index,
            proof: proof.map((h) => new Uint8Array(Buffer.from(h, 'base64'))),
            checkpoint: head.checkpoint.note,
          }),
        );
        return EXIT.ok;
      }
      default:
        throw new CustosError(
          'INPUT_INVALID',
          'usage: custos ledger verify|checkpoint|export|proof --server URL (prune and witness: on the server host)',
        );
    }
  });
}
