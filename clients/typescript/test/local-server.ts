import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
}

/** What to answer: status, headers and JSON body, or undefined to drop the connection without an answer. */
export type Reply = { status: number; headers?: Record<string, string>; body?: unknown } | undefined;
export type Answer = (request: ReceivedRequest, index: number) => Reply | Promise<Reply>;

/**
 * A tiny HTTP server whose answers the test writes: `answer` gets each request (and its index) and returns the
 * status, headers and JSON body to send, or nothing to drop the connection without an answer.
 */
export async function startAnsweringServer(answer: Answer) {
  const requests: ReceivedRequest[] = [];
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', async () => {
      const received = {
        method: request.method ?? '',
        path: request.url ?? '',
        headers: request.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      const index = requests.push(received) - 1;
      const reply = await answer(received, index);
      if (!reply) {
        request.socket.destroy();
        return;
      }
      response.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers });
      response.end(reply.body === undefined ? '' : JSON.stringify(reply.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The answer of the usage route for a body: every event accepted. */
export function acceptAll(body: string) {
  const { events } = JSON.parse(body) as { events: { id?: string }[] };
  return {
    status: 202,
    body: {
      accepted: events.length,
      rejected: 0,
      duplicate: 0,
      results: events.map((event, index) => ({ index, id: event.id, status: 'accepted' })),
    },
  };
}
