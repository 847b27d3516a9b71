/**
 * Full-export verification benchmark, standalone and quicker than `npm run bench:ledger`:
 *
 *   npx tsx bench/verify-bench.ts [--records N] [--workers N] [--runs N] [--sequential] [--dir DIR]
 *
 * Builds (once; reused while the directory exists) a full export of an N-record SQLite ledger of
 * bench drafts (default 1,000,000, the same records as bench:ledger) under the temp dir, then
 * reports, for the parallel verifier (src/verifier/parallel.ts), verify-only records/s (bundle
 * already in memory) and read + verify records/s (readExportDir included), beside the raw limit of
 * one thread measured in the same run (SHA-256 ops/s of a leaf and a node, JSON.parse/s), the
 * machine's load average before and after, and with --sequential the single-thread verifyBundle.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { exportLedger } from '../src/evidence/ledger-export.js';
import { Ledger } from '../src/ledger/ledger.js';
import { generateNoteKey, parseSignerKey } from '../src/ledger/note/index.js';
import type { SignedState } from '../src/ledger/checkpoint-signer.js';
import { encodeRecord } from '../src/ledger/sequencer.js';
import { openStore } from '../src/store/open-store.js';
import { readExportDir } from '../src/verifier/read-dir.js';
import { verifyBundle } from '../src/verifier/verify-bundle.js';
import { verifyBundleParallel, verifyExportDir } from '../src/verifier/parallel.js';
import { benchDraft, fmtInt, loadText, option } from './common.js';

const RECORDS = option('records', 1_000_000);
const WORKERS = option('workers', Math.max(2, os.availableParallelism()));
const RUNS = option('runs', 3);
const SEQUENTIAL = process.argv.includes('--sequential');
const dirAt = process.argv.indexOf('--dir');
const DIR =
  dirAt < 0
    ? path.join(os.tmpdir(), `custos-verify-bench-${RECORDS}`)
    : path.resolve(process.argv[dirAt + 1]!);
const EXPORT = path.join(DIR, 'export');
const ORIGIN = 'bench.custos/log';

/** Builds the ledger and its full export unless a complete one is already there. */
async function ensureExport(): Promise<void> {
  if (fs.existsSync(path.join(EXPORT, 'manifest.json'))) return;
  fs.rmSync(DIR, { recursive: true, force: true });
  const dataDir = path.join(DIR, 'data');
  fs.mkdirSync(dataDir, { recursive: true });
  console.log(`building a ${fmtInt(RECORDS)}-record ledger and its export in ${DIR} ...`);
  const t0 = performance.now();
  const store = await openStore({ dataDir });
  const { signerKey, verifierKey } = generateNoteKey(ORIGIN);
  let state: SignedState | undefined;
  const ledger = new Ledger({
    store,
    now: () => new Date(),
    signer: parseSignerKey(signerKey),
    signerState: { load: () => state, save: (s) => (state = s) },
  });
  try {
    await ledger.create(ORIGIN, verifierKey);
    let next = 0;
    const total = RECORDS - 1; // + ledger.created = RECORDS
    const caller = async (): Promise<void> => {
      for (let i = next++; i < total; i = next++) await ledger.append(benchDraft(i));
    };
    await Promise.all(Array.from({ length: 1000 }, caller));
    await ledger.checkpoint();
    await exportLedger(ledger, { outDir: EXPORT, now: () => new Date() });
  } finally {
    await ledger.writer.idle();
    await store.close();
  }
  fs.rmSync(dataDir, { recursive: true, force: true });
  console.log(`  built in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}

function perSecond(count: number, ms: number): number {
  return (count * 1000) / ms;
}

function rawRates(leafBytes: number): { leaf: number; node: number; record: number; parse: number } {
  const rate = (input: Buffer, n: number): number => {
    for (let i = 0; i < 10_000; i++) crypto.hash('sha256', input, 'buffer');
    const t0 = performance.now();
    for (let i = 0; i < n; i++) crypto.hash('sha256', input, 'buffer');
    return perSecond(n, performance.now() - t0);
  };
  const leaf = rate(crypto.randomBytes(leafBytes), 1_000_000);
  const node = rate(crypto.randomBytes(65), 1_000_000);
  const sample = Array.from({ length: 10_000 }, (_, i) =>
    new TextDecoder().decode(
      encodeRecord(benchDraft(500_000 + i), 500_000 + i, new Date().toISOString(), crypto.randomBytes(32)),
    ),
  );
  for (const text of sample) JSON.parse(text);
  const t0 = performance.now();
  for (let r = 0; r < 20; r++) for (const text of sample) JSON.parse(text);
  const parse = perSecond(20 * sample.length, performance.now() - t0);
  return { leaf, node, record: 1 / (1 / leaf + 1 / node), parse };
}

function cpuMs(since: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1000;
}

async function main(): Promise<void> {
  await ensureExport();
  const key = fs.readFileSync(path.join(EXPORT, 'keys', 'log.vkey'), 'utf8').trim();
  console.log(
    `verify ${fmtInt(RECORDS)} records, ${WORKERS} workers, ${RUNS} runs; ${os.cpus().length} CPUs, ` +
      `Node ${process.version}; load average at start ${loadText()}`,
  );
  const verifyOnly: number[] = [];
  const readVerify: number[] = [];
  const streamed: number[] = [];
  const options = { workers: WORKERS };
  for (let run = 0; run < RUNS; run++) {
    const t0 = performance.now();
    const bundle = readExportDir(EXPORT);
    const readMs = performance.now() - t0;
    const cpu0 = process.cpuUsage();
    const t1 = performance.now();
    const report = await verifyBundleParallel(bundle, { log: key }, undefined, options);
    const ms = performance.now() - t1;
    const cpu = cpuMs(cpu0);
    if (report.records !== RECORDS) throw new Error(`verified ${report.records} records`);
    verifyOnly.push(perSecond(RECORDS, ms));
    readVerify.push(perSecond(RECORDS, readMs + ms));
    const cpu2 = process.cpuUsage();
    const t2 = performance.now();
    const again = await verifyExportDir(EXPORT, { log: key }, undefined, options);
    const dirMs = performance.now() - t2;
    if (again.records !== RECORDS) throw new Error(`verified ${again.records} records`);
    streamed.push(perSecond(RECORDS, dirMs));
    console.log(
      `  run ${run + 1}: verify only ${fmtInt(perSecond(RECORDS, ms))} records/s (${(ms / 1000).toFixed(2)} s, ` +
        `CPU ${((cpu * 1000) / RECORDS).toFixed(2)} µs per record); readExportDir + verify ` +
        `${fmtInt(perSecond(RECORDS, readMs + ms))} records/s (read ${(readMs / 1000).toFixed(2)} s); ` +
        `verifyExportDir (custos verify DIR) ${fmtInt(perSecond(RECORDS, dirMs))} records/s ` +
        `(${(dirMs / 1000).toFixed(2)} s, CPU ${((cpuMs(cpu2) * 1000) / RECORDS).toFixed(2)} µs per record); load ${loadText()}`,
    );
  }
  if (SEQUENTIAL) {
    const bundle = readExportDir(EXPORT);
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    verifyBundle(bundle, { log: key });
    const ms = performance.now() - t0;
    console.log(
      `  sequential verifyBundle: ${fmtInt(perSecond(RECORDS, ms))} records/s (${(ms / 1000).toFixed(2)} s, ` +
        `CPU ${((cpuMs(cpu0) * 1000) / RECORDS).toFixed(2)} µs per record)`,
    );
  }
  const recordBytes = Math.round(fs.statSync(path.join(EXPORT, 'records.jsonl')).size / RECORDS);
  const raw = rawRates(recordBytes);
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  console.log(
    `  raw (one thread): SHA-256 of ${recordBytes} B (a leaf) ${fmtInt(raw.leaf)}/s, of 65 B (a node) ` +
      `${fmtInt(raw.node)}/s => ${fmtInt(raw.record)} records/s hashing alone; JSON.parse ${fmtInt(raw.parse)}/s`,
  );
  console.log(
    `median of ${RUNS}: verify only ${fmtInt(median(verifyOnly))} records/s (best ${fmtInt(Math.max(...verifyOnly))}), ` +
      `readExportDir + verify ${fmtInt(median(readVerify))} records/s (best ${fmtInt(Math.max(...readVerify))}), ` +
      `verifyExportDir ${fmtInt(median(streamed))} records/s (best ${fmtInt(Math.max(...streamed))}); ` +
      `load average at the end ${loadText()}`,
  );
}

await main();
