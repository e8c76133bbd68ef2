import type { Server } from 'node:http';

/** A plain HTTP server of the calibration tools (proxy, replay) listening, and how to stop it. */
export interface Listening {
  /** e.g. http://127.0.0.1:8080 (the real port when 0 was asked for). */
  url: string;
  server: Server;
  /** Stops listening and cuts the connections still open (a client's keep-alive must not hold it). */
  close(): Promise<void>;
}

export async function listen(server: Server, host: string, port: number): Promise<Listening> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address();
  const bound = typeof address === 'object' && address ? address.port : port;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${bound}`,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
