import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';

export interface BareBroadcast {
  sendUrl: string;
  wsUrl: string;
  sockets(): number;
  stop(): Promise<void>;
}

/** What the bare server does with one POST: the `data` of the frame it broadcasts, and its answer. */
export interface BareEvent {
  threadId: string;
  data: unknown;
  answer: unknown;
}

/**
 * The floor a GraphQL real-time path is compared with: a plain `ws` server on the same machine
 * that, on POST /send, sends every socket of a thread the graphql-ws `next` frame the real server
 * would (same fields, same sizes; `eventOf` builds it from the request body and a counter). No
 * auth, storage, Redis or GraphQL execution: only HTTP in, JSON, and ws frames out.
 */
export async function startBareBroadcast(eventOf: (body: any, count: number) => BareEvent): Promise<BareBroadcast> {
  const byThread = new Map<string, Set<WebSocket>>();
  let count = 0;
  const server = createServer((req, res) => {
    if (req.method !== 'POST' || req.url !== '/send') return void res.writeHead(404).end();
    void readJson(req).then((body) => {
      const { threadId, data, answer } = eventOf(body, ++count);
      const frame = JSON.stringify({ id: '00000000-0000-4000-8000-000000000000', type: 'next', payload: { data } });
      for (const socket of byThread.get(threadId) ?? []) socket.send(frame);
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
    });
  });
  const wss = new WebSocketServer({ server, path: '/bare' });
  wss.on('connection', (socket, req) => {
    const threadId = new URL(req.url ?? '', 'http://x').searchParams.get('thread') ?? '';
    let sockets = byThread.get(threadId);
    if (!sockets) byThread.set(threadId, (sockets = new Set()));
    sockets.add(socket);
    socket.once('close', () => {
      sockets.delete(socket);
      if (sockets.size === 0) byThread.delete(threadId);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    sendUrl: `http://127.0.0.1:${port}/send`,
    wsUrl: `ws://127.0.0.1:${port}/bare`,
    sockets: () => wss.clients.size,
    async stop() {
      for (const socket of wss.clients) socket.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function readJson(req: IncomingMessage): Promise<any> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}
