import fs from 'node:fs';
import { CustosError } from '../core/errors.js';
import { decodeBase64Strict, encodeBase64 } from '../core/bytes.js';
import type { SignedState, SignerStateStore } from '../ledger/checkpoint-signer.js';
import { writeFileAtomic } from './key-files.js';

/** The signer's memory of its last signature, kept beside its key and written durably. */
export function signerStateFile(file: string): SignerStateStore {
  return {
    load(): SignedState | undefined {
      if (!fs.existsSync(file)) return undefined;
      const raw = JSON.parse(fs.readFileSync(file, 'utf8')) as { size?: unknown; rootHash?: unknown };
      const root = typeof raw.rootHash === 'string' ? decodeBase64Strict(raw.rootHash) : undefined;
      if (!Number.isSafeInteger(raw.size) || root?.length !== 32) {
        throw new CustosError('KEY_MALFORMED', `signer state ${file} is corrupt`);
      }
      return { size: raw.size as number, rootHash: root };
    },
    save(state: SignedState): void {
      writeFileAtomic(
        file,
        JSON.stringify({ size: state.size, rootHash: encodeBase64(state.rootHash) }),
        0o600,
      );
    },
  };
}
