/** The ledger: head and checkpoints, proofs, export and live verification. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { encodeBase64 } from '../core/bytes.js';
import { CustosError } from '../core/errors.js';
import { exportLedger } from '../evidence/ledger-export.js';
import { verifyLive } from '../ledger/ledger-verify.js';
import type { LedgerExport } from './api.js';
import type { Handlers, ServiceContext } from './context.js';
import { compact } from './compact.js';
import type { ParsedInputOf } from './operations.js';

type LedgerOps =
  'ledgerHead' | 'signCheckpoint' | 'inclusionProof' | 'consistencyProof' | 'exportLedger' | 'verifyLedger';

/** An export travels in one answer: larger ones are for ranges or the local CLI. */
export const MAX_EXPORT_RECORDS = 100_000;

export const ledgerHandlers: Handlers<LedgerOps> = {
  ledgerHead: async (ctx) => {
    const ledger = ctx.custos.ledger;
    const info = await ledger.info();
    const latest = await ledger.latestCheckpoint();
    return {
      origin: info.origin,
      verifierKey: info.verifierKey,
      size: info.size,
      rootHash: encodeBase64(info.rootHash),
      prunedBelow: info.prunedBelow,
      checkpoint: latest === undefined ? null : { size: latest.size, note: latest.note },
    };
  },
  signCheckpoint: async (ctx) => {
    const signed = await ctx.custos.ledger.checkpoint();
    return { size: signed.size, note: signed.note };
  },
  inclusionProof: async (ctx, _a, { index, size }) => {
    await checkSize(ctx, size);
    if (index >= size)
      throw new CustosError('PROOF_INDEX_OUT_OF_RANGE', `index ${index} is not below size ${size}`);
    const proof = await ctx.custos.ledger.inclusionProof(index, size);
    return { index, size, proof: proof.map(encodeBase64) };
  },
  consistencyProof: async (ctx, _a, { from, to }) => {
    await checkSize(ctx, to);
    if (from > to) throw new CustosError('PROOF_SIZE_INVALID', `from ${from} is beyond to ${to}`);
    const proof = await ctx.custos.ledger.consistencyProof(from, to);
    return { from, to, proof: proof.map(encodeBase64) };
  },
  exportLedger: (ctx, _a, input) => exportToFiles(ctx, input),
  verifyLedger: (ctx) => verifyLive(ctx.custos.ledger),
};

async function checkSize(ctx: ServiceContext, size: number): Promise<void> {
  const current = await ctx.custos.ledger.size();
  if (size > current) {
    throw new CustosError('PROOF_SIZE_INVALID', `size ${size} is beyond the tree (${current})`, {
      details: { treeSize: current },
    });
  }
}

/** Writes the export bundle to a private temporary directory, reads it back as files, removes it. */
async function exportToFiles(
  ctx: ServiceContext,
  input: ParsedInputOf<'exportLedger'>,
): Promise<LedgerExport> {
  const ledger = ctx.custos.ledger;
  const info = await ledger.info();
  const count = (input.to ?? info.size) - (input.from ?? info.prunedBelow);
  if (count > MAX_EXPORT_RECORDS) {
    throw new CustosError(
      'INPUT_INVALID',
      `an export over the API holds at most ${MAX_EXPORT_RECORDS} records: export a range, or use the local CLI`,
      { details: { field: 'to', records: count } },
    );
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'custos-export-'));
  try {
    const manifest = await exportLedger(ledger, { outDir: dir, now: ctx.custos.now, ...compact(input) });
    return { manifest, files: readTree(dir) };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function readTree(root: string): { path: string; content: string }[] {
  const entries = fs.readdirSync(root, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => {
      const full = path.join(e.parentPath, e.name);
      return {
        path: path.relative(root, full).split(path.sep).join('/'),
        content: fs.readFileSync(full, 'utf8'),
      };
    })
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
