/**
 * A loopback TCP forwarder: closing it makes the server behind it unreachable (ECONNREFUSED). It is
 * the quickstart's cuttable link (src/cli/quickstart/tcp-link.ts), closed for good.
 */
import { openLink } from '../../../src/cli/quickstart/tcp-link.js';

export interface TcpProxy {
  readonly port: number;
  close(): Promise<void>;
}

export async function startProxy(targetPort: number): Promise<TcpProxy> {
  const link = await openLink('127.0.0.1', targetPort);
  return { port: link.port, close: () => link.close() };
}
