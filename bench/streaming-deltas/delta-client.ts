// The streaming-deltas bench's subscribers and streamer, in their own process so that the server's
// event loop is measured alone. Driven over IPC (protocol.ts); loopback only; exits when the parent
// goes or after --max-minutes.
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import { deltaFor, SUBSCRIPTION, tagOf, type Command, type DeltaTimings, type Reply, type Target } from './protocol.js';

const maxMinutes = Number(process.argv[2] ?? 15);
setTimeout(() => process.exit(3), maxMinutes * 60_000).unref();
process.on('disconnect', () => process.exit(0));

const sockets: WebSocket[] = [];
let subscriptionErrors = 0;
/** Arrivals per tag, and the one waiter for the delta in flight. */
const arrivals = new Map<string, number>();
let waiter: { tag: string; count: number; resolve: () => void } | undefined;

function arrived(event: { __typename?: string; delta?: string } | undefined): void {
  if (event?.__typename !== 'MessageDelta' || event.delta === undefined) return;
  const tag = tagOf(event.delta);
  const count = (arrivals.get(tag) ?? 0) + 1;
  arrivals.set(tag, count);
  if (waiter?.tag === tag && count >= waiter.count) waiter.resolve();
}

function onFrame(socket: WebSocket, data: WebSocket.RawData): void {
  const message = JSON.parse(String(data));
  if (message.type === 'next') return message.payload.data ? arrived(message.payload.data.threadEvents) : void (subscriptionErrors += 1);
  if (message.type === 'ping') return socket.send('{"type":"pong"}');
  if (message.type === 'error') subscriptionErrors += 1;
}

async function openSocket(url: string, protocol?: string): Promise<WebSocket> {
  const socket = new WebSocket(url, protocol);
  await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
  sockets.push(socket);
  return socket;
}

/** graphql-transport-ws spoken directly: connection_init, then one subscribe. */
async function openThreadline(wsUrl: string, threadId: string, token: string, id: number): Promise<void> {
  const socket = await openSocket(wsUrl, 'graphql-transport-ws');
  socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } }));
  await new Promise<void>((resolve, reject) => {
    socket.once('message', (data) => (JSON.parse(String(data)).type === 'connection_ack' ? resolve() : reject(new Error(`no connection_ack: ${data}`))));
    socket.once('close', (code) => reject(new Error(`closed ${code}`)));
  });
  socket.on('message', (data) => onFrame(socket, data));
  socket.send(JSON.stringify({ id: String(id), type: 'subscribe', payload: { query: SUBSCRIPTION, variables: { threadId } } }));
}

async function openBare(wsUrl: string, threadId: string): Promise<void> {
  const socket = await openSocket(`${wsUrl}?thread=${encodeURIComponent(threadId)}`);
  socket.on('message', (data) => onFrame(socket, data));
}

async function open(command: Extract<Command, { cmd: 'open' }>): Promise<{ sockets: number }> {
  for (let i = 0; i < command.subscribers; i++) {
    if (command.target === 'threadline') await openThreadline(command.wsUrl, command.threadId, command.token, i + 1);
    else await openBare(command.wsUrl, command.threadId);
  }
  return { sockets: sockets.length };
}

async function post(url: string, body: unknown, token?: string): Promise<any> {
  const headers = { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) };
  const response = await fetch(url, { method: 'POST', headers, body: JSON.stringify(body) });
  const json = (await response.json()) as { errors?: unknown; data?: any };
  if (!response.ok || json.errors) throw new Error(`request failed: ${response.status} ${JSON.stringify(json.errors)}`);
  return json.data;
}

/** One streaming message's operations on a target: begin, append a chunk, end. */
function streamOn(target: Target, sendUrl: string, threadId: string, token: string) {
  if (target === 'bare') {
    return { begin: async () => 'bare', append: (messageId: string, delta: string) => post(sendUrl, { threadId, messageId, delta }), end: async () => undefined };
  }
  const gql = (query: string, variables: unknown) => post(sendUrl, { query, variables }, token);
  return {
    begin: async (): Promise<string> => (await gql('mutation($t: ID!) { startMessage(input: { threadId: $t, role: ASSISTANT }) { id } }', { t: threadId })).startMessage.id,
    append: (id: string, delta: string) => gql('mutation($input: AppendMessageDeltaInput!) { appendMessageDelta(input: $input) { id } }', { input: { id, delta } }),
    end: async (id: string) => void (await gql('mutation($id: ID!) { completeMessage(id: $id) { id } }', { id })),
  };
}

let streams = 0;

async function deltas(command: Extract<Command, { cmd: 'deltas' }>): Promise<DeltaTimings> {
  const stream = streamOn(command.target, command.sendUrl, command.threadId, command.token);
  const timings: DeltaTimings = { lastArrivalMs: [], ackMs: [] };
  const messageId = await stream.begin();
  const run = `s${++streams}`;
  for (let i = 0; i < command.deltas; i++) {
    const tag = `${run}.${i}`;
    const all = new Promise<void>((resolve, reject) => {
      waiter = { tag, count: command.expected, resolve };
      if ((arrivals.get(tag) ?? 0) >= command.expected) resolve();
      setTimeout(() => reject(new Error(`${tag}: ${arrivals.get(tag) ?? 0} of ${command.expected} arrived in 10 s`)), 10_000).unref();
    });
    const started = performance.now();
    await stream.append(messageId, deltaFor(tag));
    timings.ackMs.push(performance.now() - started);
    await all;
    timings.lastArrivalMs.push(performance.now() - started);
    arrivals.delete(tag);
    await new Promise((resolve) => setTimeout(resolve, command.pauseMs));
  }
  await stream.end(messageId);
  return timings;
}

function close(): { closed: number; subscriptionErrors: number } {
  const closed = sockets.length;
  for (const socket of sockets.splice(0)) socket.close();
  return { closed, subscriptionErrors };
}

async function handle(command: Command): Promise<unknown> {
  switch (command.cmd) {
    case 'open':
      return open(command);
    case 'deltas':
      return deltas(command);
    case 'close':
      return close();
  }
}

process.on('message', (command: Command) => {
  handle(command).then(
    (result) => process.send!({ ok: true, result } satisfies Reply),
    (error: unknown) => process.send!({ ok: false, error: String((error as Error)?.stack ?? error) } satisfies Reply),
  );
});
process.send!({ ready: true } satisfies Reply);
