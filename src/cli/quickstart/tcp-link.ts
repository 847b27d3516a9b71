/**
 * A loopback TCP link to a target server that the quickstart can cut and restore on the same port:
 * cutting it closes every connection through it and refuses new ones (ECONNREFUSED), exactly what a
 * network outage between Custos and the target looks like. Nothing is simulated above TCP.
 */
import net from 'node:net';

export interface TcpLink {
  readonly port: number;
  cut(): Promise<void>;
  restore(): Promise<void>;
  close(): Promise<void>;
}

export async function openLink(targetHost: string, targetPort: number): Promise<TcpLink> {
  const sockets = new Set<net.Socket>();
  const listen = (port: number) =>
    new Promise<net.Server>((resolve, reject) => {
      const server = net.createServer((client) => {
        const upstream = net.connect(targetPort, targetHost);
        for (const s of [client, upstream]) {
          sockets.add(s);
          s.on('error', () => s.destroy());
          s.on('close', () => sockets.delete(s));
        }
        client.on('close', () => upstream.destroy());
        upstream.on('close', () => client.destroy());
        client.pipe(upstream).pipe(client);
      });
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve(server));
    });
  let server: net.Server | undefined = await listen(0);
  const address = server.address();
  if (address === null || typeof address === 'string') throw new TypeError('the link has no port');
  const cut = async () => {
    const closing = server;
    server = undefined;
    if (closing === undefined) return;
    const closed = new Promise<void>((resolve) => closing.close(() => resolve()));
    for (const s of sockets) s.destroy();
    await closed;
  };
  return {
    port: address.port,
    cut,
    restore: async () => {
      server ??= await listen(address.port);
    },
    close: cut,
  };
}
