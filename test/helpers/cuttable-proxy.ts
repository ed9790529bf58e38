import { type AddressInfo, connect, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy in front of a local HTTP server, to play an API that goes away and comes back, as a deployment or a
 * network cut does to a client: `cut()` closes the port and resets every open connection (requests in flight get no
 * answer, new ones are refused) and `restore()` listens again on the same port; `dropAnswers(n)` lets the next `n`
 * requests reach the server but resets the connection when its answer starts coming back (the server did the work,
 * the client never hears of it: its retry must not count it twice).
 */
export async function startCuttableProxy(targetUrl: string) {
  const target = new URL(targetUrl);
  const sockets = new Set<Socket>();
  let answersToDrop = 0;
  const counts = { connections: 0, droppedAnswers: 0 };

  const listen = (port: number) =>
    new Promise<Server>((resolve, reject) => {
      const server = createServer((client) => {
        counts.connections += 1;
        const upstream = connect(Number(target.port), target.hostname);
        for (const socket of [client, upstream]) {
          sockets.add(socket);
          socket.on('close', () => sockets.delete(socket));
          socket.on('error', () => undefined);
        }
        client.on('data', (chunk) => upstream.write(chunk));
        upstream.on('data', (chunk) => {
          if (answersToDrop > 0) {
            answersToDrop -= 1;
            counts.droppedAnswers += 1;
            client.resetAndDestroy();
            upstream.destroy();
            return;
          }
          client.write(chunk);
        });
        client.on('close', () => upstream.destroy());
        upstream.on('close', () => client.destroy());
      });
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve(server));
    });

  let server: Server | undefined = await listen(0);
  const port = (server.address() as AddressInfo).port;
  const close = async () => {
    const closing = server;
    server = undefined;
    for (const socket of sockets) socket.resetAndDestroy();
    if (closing) await new Promise<void>((resolve) => closing.close(() => resolve()));
  };
  return {
    url: `http://127.0.0.1:${port}`,
    counts,
    cut: close,
    restore: async () => {
      server ??= await listen(port);
    },
    dropAnswers: (count: number) => {
      answersToDrop = count;
    },
    stop: close,
  };
}
