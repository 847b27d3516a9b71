import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toHex } from '../core/bytes.js';
import { isCustosError } from '../core/errors.js';
import {
  addCosignatures,
  generateNoteKey,
  openNote,
  parseNote,
  parseSignerKey,
  parseVerifierKey,
  verifyCosignature,
} from '../ledger/note/index.js';
import { requestCosignature } from './client.js';
import { startWitnessServer } from './http.js';
import type { WitnessServer } from './http.js';
import { formatAddCheckpointBody, parseAddCheckpointBody, TLOG_SIZE_CONTENT_TYPE } from './protocol.js';
import { TestLog } from './test-support.js';
import { Witness } from './witness.js';
import { WitnessStore } from './witness-store.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'custos-witness-http-'));
const store = WitnessStore.open(dir);
const signer = parseSignerKey(generateNoteKey('witness.example/w1', 'cosignature/v1').signerKey);
const witnessKey = parseVerifierKey(signer.verifierKey);
const witness = new Witness({ signer, store });
const log = new TestLog('log.example/http');
let server: WitnessServer;

beforeAll(async () => {
  witness.addLog(log.verifierKey);
  server = await startWitnessServer({ witness, port: 0 });
});

afterAll(async () => {
  await server.close();
  store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

function post(body: string | Uint8Array): Promise<Response> {
  return fetch(`${server.url}/add-checkpoint`, { method: 'POST', body });
}

async function rejection(promise: Promise<unknown>): Promise<string> {
  const err: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  return isCustosError(err) ? err.code : String(err);
}

describe('witness HTTP service and client', () => {
  it('round-trips add-checkpoint, answering a stale old size with 409 and the size', async () => {
    log.append(7);
    const first = await requestCosignature(server.url, {
      oldSize: 0,
      proof: [],
      checkpoint: log.checkpoint(),
    });
    expect(first.kind).toBe('cosigned');
    log.append(9);
    const checkpoint = log.checkpoint();
    // The log lost track of the witness: it asks from 0, learns 7, and retries with the right proof.
    const conflict = await requestCosignature(server.url, { oldSize: 0, proof: [], checkpoint });
    expect(conflict).toEqual({ kind: 'conflict', witnessSize: 7 });
    const res = await post(formatAddCheckpointBody({ oldSize: 3, proof: log.proof(3), checkpoint }));
    expect([res.status, res.headers.get('content-type'), await res.text()]).toEqual([
      409,
      TLOG_SIZE_CONTENT_TYPE,
      '7\n',
    ]);
    const result = await requestCosignature(
      `${server.url}/`,
      { oldSize: 7, proof: log.proof(7), checkpoint },
      { witness: witnessKey },
    );
    if (result.kind !== 'cosigned') throw new Error('expected a cosignature');
    expect(result.lines).toHaveLength(1);
    expect(
      verifyCosignature(parseNote(checkpoint).text, result.lines[0]!, witnessKey).timestamp,
    ).toBeGreaterThan(0);
    const cosigned = addCosignatures(checkpoint, result.lines);
    expect(openNote(cosigned, [parseVerifierKey(log.verifierKey), witnessKey]).verified).toHaveLength(2);
    expect(store.getLog(log.signer.name)?.state?.size).toBe(16);
  });

  it('maps refusals to 404, 403, 422, 409 (same-size fork), 400 and 413', async () => {
    const size = log.size;
    const stranger = new TestLog('log.example/unknown').append(2);
    expect(
      await rejection(
        requestCosignature(server.url, { oldSize: 0, proof: [], checkpoint: stranger.checkpoint() }),
      ),
    ).toBe('WITNESS_UNKNOWN_LOG');
    const impostor = new TestLog(log.signer.name).append(size);
    const forbidden = await post(
      formatAddCheckpointBody({ oldSize: size, proof: [], checkpoint: impostor.checkpoint() }),
    );
    expect(forbidden.status).toBe(403);
    expect(
      await rejection(
        requestCosignature(server.url, { oldSize: size, proof: [], checkpoint: impostor.checkpoint() }),
      ),
    ).toBe('WITNESS_REJECTED');
    log.append(5);
    const badProof = log.proof(size).map((h) => h.map((b) => b ^ 0xff));
    const unprocessable = await post(
      formatAddCheckpointBody({ oldSize: size, proof: badProof, checkpoint: log.checkpoint() }),
    );
    expect(unprocessable.status).toBe(422);
    const fork = log.checkpoint(size, { rootHash: new Uint8Array(32) });
    const forkRes = await post(formatAddCheckpointBody({ oldSize: size, proof: [], checkpoint: fork }));
    expect([forkRes.status, await forkRes.text()]).toEqual([409, `${size}\n`]);
    expect(
      await rejection(requestCosignature(server.url, { oldSize: size, proof: [], checkpoint: fork })),
    ).toBe('CHECKPOINT_INCONSISTENT');
    for (const body of [
      'old 01\n\nx',
      'old 1\nnot base64\n\nx',
      'old 1\n',
      `old ${log.size + 1}\n\n${log.checkpoint()}`,
    ]) {
      expect((await post(body)).status, body).toBe(400);
    }
    expect((await post(new Uint8Array(64 * 1024 + 1).fill(0x41))).status).toBe(413);
    expect(store.getLog(log.signer.name)?.state?.size).toBe(size);
  });

  it('serves /healthz and refuses other routes and methods', async () => {
    const health = await fetch(`${server.url}/healthz`);
    expect([health.status, await health.text()]).toEqual([200, 'ok\n']);
    expect((await fetch(`${server.url}/add-checkpoint`)).status).toBe(405);
    expect((await fetch(`${server.url}/nope`)).status).toBe(404);
  });

  it('formats and parses request bodies symmetrically', () => {
    const request = { oldSize: 3, proof: log.proof(3, 9), checkpoint: log.checkpoint(9) };
    const parsed = parseAddCheckpointBody(formatAddCheckpointBody(request));
    expect({ ...parsed, proof: parsed.proof.map(toHex) }).toEqual({
      ...request,
      proof: request.proof.map(toHex),
    });
    const tooLong = `old 1\n${'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n'.repeat(64)}\nx`;
    expect(() => parseAddCheckpointBody(tooLong)).toThrow(/more than 63/);
  });
});
