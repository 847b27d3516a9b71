/**
 * Scene 7: the ledger holds up. The auditor recomputes the live ledger through the API (the check
 * `custos ledger verify` runs), exports it, and the export verifies offline with the standalone
 * verifier (src/verifier, the same as `custos verify DIR --key VKEY`) against the log key obtained
 * separately — here, from the keys directory `custos init` wrote.
 */
import fs from 'node:fs';
import path from 'node:path';
import { verifyExportDir } from '../../verifier/index.js';
import { expectThat, type SceneContext } from './scene-kit.js';

const ALICE = 'person:alice';
const SARA = 'person:sara';

export interface LedgerSceneResult {
  readonly evidenceDir: string;
  readonly records: number;
}

export async function sceneLedger(
  { cast, n }: SceneContext,
  evidenceDir: string,
  verifierKey: string,
): Promise<LedgerSceneResult> {
  n.scene(7, 'The ledger verifies, live and offline');
  // A checkpoint over everything recorded so far, so the export covers the whole story.
  const checkpoint = await cast.call(ALICE, 'signCheckpoint', {});
  const live = await cast.call(SARA, 'verifyLedger', {});
  expectThat(
    7,
    live.records === checkpoint.size,
    `the live ledger verified ${live.records} of ${checkpoint.size} records`,
  );
  n.say(
    `${SARA}, an auditor (read and export only), asks Custos to recompute every leaf, node and signed checkpoint.`,
  );
  n.fact('ledger verify', `OK ${live.origin}: ${live.records} records, ${live.checkpoints} checkpoint(s)`);
  const exported = await cast.call(SARA, 'exportLedger', {});
  for (const file of exported.files) {
    const target = path.join(evidenceDir, ...file.path.split('/'));
    if (!target.startsWith(evidenceDir + path.sep))
      throw new TypeError(`export path ${file.path} escapes the directory`);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, file.content);
  }
  const offline = await verifyExportDir(evidenceDir, { log: verifierKey, witnesses: [] });
  expectThat(
    7,
    !offline.trustedFromBundle && offline.records === live.records,
    'the export did not verify in full',
  );
  n.fact('exported', `${exported.files.length} files to ${evidenceDir}`);
  n.fact(
    'verify',
    `offline, with nothing but the files and the log key: OK, ${offline.records} records [${offline.from}, ${offline.to}) of tree ${offline.treeSize}`,
  );
  return { evidenceDir, records: offline.records };
}
