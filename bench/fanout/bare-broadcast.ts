import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';

export interface BareBroadcast {
  sendUrl: string;
  wsUrl: string;
  sockets(): number;
  stop(): Promise<void>;
}

/**
 * The floor the GraphQL fan-out is compared with: a plain `ws` server on the same machine that,
 * on POST /send {threadId, content}, sends every socket of that thread the same graphql-ws
 * `next` frame the real server would (same fields, same sizes). No auth, storage, Redis or
 * GraphQL execution: only HTTP in, JSON, and ws frames out.
 */
export async function startBareBroadcast(): Promise<BareBroadcast> {
  const byThread = new Map<string, Set<WebSocket>>();
  let seq = 0;
  const server = createServer((req, res) => {
    if (req.method !== 'POST' || req.url !== '/send') return void res.writeHead(404).end();
    void readJson(req).then(({ threadId, content }: { threadId: string; content: string }) => {
      seq += 1;
      const message = { id: `msg_${Date.now()}_${seq}_0badf00d`, seq, content, createdAt: new Date().toISOString() };
      const frame = JSON.stringify({ id: '00000000-0000-4000-8000-000000000000', type: 'next', payload: { data: { messageAdded: message } } });
      for (const socket of byThread.get(threadId) ?? []) socket.send(frame);
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ data: { sendMessage: { seq } } }));
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
