import fs from 'node:fs';
import os from 'node:os';
import { PARALLEL_MIN_RECORDS, verifyExportDir } from '../../verifier/index.js';
import { CustosError } from '../../core/errors.js';
import { EXIT, progressBar, type CliIo, type ParsedArgs } from '../io.js';
import { printJson } from './open.js';

/** Reads `--key VKEY` or `--key-file FILE` (the log key the auditor trusts). */
export function trustedLogKey(args: ParsedArgs): string | undefined {
  const file = args.flags['key-file'];
  if (file !== undefined) {
    try {
      return fs.readFileSync(file, 'utf8').trim();
    } catch (cause) {
      throw new CustosError('KEY_MISSING', `cannot read ${file}`, { cause });
    }
  }
  return args.flags['key'];
}

export function witnessKeys(args: ParsedArgs): string[] {
  const w = args.flags['witness'];
  return w === undefined ? [] : w.split(',').filter((k) => k !== '');
}

/**
 * `custos verify DIR`: verifies an export offline. Exit 0 valid, 1 tampered/invalid. Full exports of
 * PARALLEL_MIN_RECORDS (50,000) records or more are verified in worker threads (one per CPU, at
 * least 2), with the same report and the same first error as the sequential verifier.
 */
export async function verifyCommand(args: ParsedArgs, io: CliIo): Promise<number> {
  const dir = args.positional[0];
  if (dir === undefined)
    throw new CustosError('INPUT_INVALID', 'usage: custos verify DIR [--key VKEY | --key-file FILE]');
  const log = trustedLogKey(args);
  const report = await verifyExportDir(
    dir,
    log === undefined ? undefined : { log, witnesses: witnessKeys(args) },
    progressBar(io, 'verifying'),
    { workers: Math.max(2, os.availableParallelism()), minRecords: PARALLEL_MIN_RECORDS },
  );
  if (report.trustedFromBundle) {
    io.err(
      'warning: no --key given; trusting the keys inside the export (pass the log key you obtained separately)\n',
    );
  }
  if (args.bools.has('json')) printJson(io, { ok: true, ...report });
  else {
    io.out(
      `OK ${report.origin}: ${report.records} records [${report.from}, ${report.to}) of tree ${report.treeSize}, ` +
        `${report.checkpoints} checkpoint(s), cosigned by ${report.cosigners.length ? report.cosigners.join(', ') : 'no witness'}\n`,
    );
  }
  return EXIT.ok;
}
