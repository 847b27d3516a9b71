/**
 * Entry point of the SCIM test peer process (started by scim-server.ts, one per test file): listens
 * on a free loopback port and prints it. Tokens come from the environment; `SCIM_PEER_EXTENSION=0`
 * starts a service without the Custos User extension.
 */
import type { AddressInfo } from 'node:net';
import { peerApp } from './peer-app.js';

const token = process.env['SCIM_PEER_TOKEN'];
const controlToken = process.env['SCIM_PEER_CONTROL_TOKEN'];
if (token === undefined || controlToken === undefined)
  throw new Error('SCIM_PEER_TOKEN and SCIM_PEER_CONTROL_TOKEN');
const app = peerApp({ token, controlToken, extension: process.env['SCIM_PEER_EXTENSION'] !== '0' });
const server = app.listen(0, '127.0.0.1', () => {
  process.stdout.write(`SCIM_PEER_PORT=${(server.address() as AddressInfo).port}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
