// The fanout bench's subscribers and senders, in their own process so that the server's CPU and
// memory are measured alone. Driven over IPC (protocol.ts); loopback only; exits when the parent
// goes or after --max-minutes.
import { performance } from 'node:perf_hooks';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import {
  contentFor,
  servedByThreadline,
  SUBSCRIPTIONS,
  tagOf,
  type BareSend,
  type Command,
  type Feed,
  type LatencyResult,
  type Reply,
  type SubscriberGroup,
  type Target,
  type ThroughputResult,
} from './protocol.js';

const SEND = 'mutation($input: SendMessageInput!) { sendMessage(input: $input) { seq } }';
const OPEN_WIDTH = 200;
const maxMinutes = Number(process.argv[2] ?? 30);
setTimeout(() => process.exit(3), maxMinutes * 60_000).unref();
process.on('disconnect', () => process.exit(0));

const libraryClients: Client[] = [];
/** Sockets read by the protocol-level client: the server's (graphql) and the bare broadcast's. */
const rawSockets: WebSocket[] = [];
let subscriptionErrors = 0;
/** The size of the last `next` frame a raw socket got (the library client does not show its frames). */
let lastFrameBytes: number | undefined;
/** Arrivals per tag, and who waits for a count. */
const arrivals = new Map<string, number>();
const waiters = new Map<string, { count: number; resolve: () => void }>();
let onAnyArrival: (() => void) | undefined;

/** A `next` payload's data: an arrival when it carries a message (`feed`'s content), an error when it has no data. */
function nextData(feed: Feed, data: unknown): void {
  if (!data) return void (subscriptionErrors += 1);
  const content = SUBSCRIPTIONS[feed].contentOf(data);
  if (content !== undefined) arrived(content);
}

function arrived(content: string): void {
  const tag = tagOf(content);
  const count = (arrivals.get(tag) ?? 0) + 1;
  arrivals.set(tag, count);
  onAnyArrival?.();
  const waiter = waiters.get(tag);
  if (waiter && count >= waiter.count) {
    waiters.delete(tag);
    waiter.resolve();
  }
}

async function inBatches<T>(items: T[], work: (item: T) => Promise<void>): Promise<void> {
  for (let i = 0; i < items.length; i += OPEN_WIDTH) await Promise.all(items.slice(i, i + OPEN_WIDTH).map(work));
}

/** The subscribe payload of a group's subscriptions. */
function subscriptionOf(group: SubscriberGroup) {
  const { query, variables } = SUBSCRIPTIONS[group.feed];
  return { query, variables: variables(group.threadId) };
}

function subscribe(client: Client, group: SubscriberGroup): void {
  client.subscribe(
    subscriptionOf(group),
    {
      next: (result) => nextData(group.feed, result.data),
      error: () => (subscriptionErrors += 1),
      complete: () => undefined,
    },
  );
}

/** graphql-ws's own client, one per socket. */
async function openLibraryClient(wsUrl: string, group: SubscriberGroup): Promise<void> {
  const client = await new Promise<Client>((resolve, reject) => {
    const made: Client = createClient({
      url: wsUrl,
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${group.token}` },
      lazy: false,
      retryAttempts: 0,
      onNonLazyError: reject,
      on: { connected: () => resolve(made), closed: (event) => reject(new Error(`closed ${(event as { code?: number }).code}`)) },
    });
  });
  for (let i = 0; i < group.subscriptionsPerConnection; i++) subscribe(client, group);
  libraryClients.push(client);
}

async function openRawSocket(url: string, protocol?: string): Promise<WebSocket> {
  const socket = new WebSocket(url, protocol);
  await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
  rawSockets.push(socket);
  return socket;
}

let operationIds = 0;

/**
 * graphql-transport-ws spoken directly (connection_init, subscribe, next, ping/pong), with the
 * same per-frame work as the bare broadcast's reader: JSON.parse and a lookup.
 */
async function openProtocolClient(wsUrl: string, group: SubscriberGroup): Promise<void> {
  const socket = await openRawSocket(wsUrl, 'graphql-transport-ws');
  socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${group.token}` } }));
  await new Promise<void>((resolve, reject) => {
    socket.once('message', (data) => (JSON.parse(String(data)).type === 'connection_ack' ? resolve() : reject(new Error(`no connection_ack: ${data}`))));
    socket.once('close', (code) => reject(new Error(`closed ${code}`)));
  });
  socket.on('message', (data) => {
    const message = JSON.parse(String(data));
    if (message.type === 'next') {
      lastFrameBytes = (data as Buffer).length;
      return nextData(group.feed, message.payload.data);
    }
    if (message.type === 'ping') return socket.send('{"type":"pong"}');
    if (message.type === 'error') subscriptionErrors += 1;
  });
  for (let i = 0; i < group.subscriptionsPerConnection; i++) {
    const subscribe = { id: String(++operationIds), type: 'subscribe', payload: subscriptionOf(group) };
    socket.send(JSON.stringify(subscribe));
  }
}

async function openBare(wsUrl: string, group: SubscriberGroup): Promise<void> {
  if (!group.threadId) throw new Error('a bare subscriber needs the thread it is sent to');
  const socket = await openRawSocket(`${wsUrl}?thread=${encodeURIComponent(group.threadId)}`);
  socket.on('message', (data) => {
    lastFrameBytes = (data as Buffer).length;
    nextData(group.feed, JSON.parse(String(data)).payload.data);
  });
}

const openers: Record<Target, (wsUrl: string, group: SubscriberGroup) => Promise<void>> = {
  graphql: openProtocolClient,
  'graphql-ws-client': openLibraryClient,
  bare: openBare,
};

async function open(target: Target, wsUrl: string, groups: SubscriberGroup[]): Promise<{ sockets: number }> {
  const jobs = groups.flatMap((group) => Array.from({ length: group.connections }, () => group));
  await inBatches(jobs, (group) => openers[target](wsUrl, group));
  return { sockets: libraryClients.length + rawSockets.length };
}

async function send(target: Target, feed: Feed, sendUrl: string, threadId: string, token: string, content: string): Promise<void> {
  const graphql = servedByThreadline(target);
  const body = graphql ? { query: SEND, variables: { input: { threadId, content } } } : ({ threadId, content, feed } satisfies BareSend);
  const response = await fetch(sendUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(graphql ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  const json = (await response.json()) as { errors?: unknown };
  if (!response.ok || json.errors) throw new Error(`send failed: ${response.status} ${JSON.stringify(json.errors)}`);
}

/** Started with --expose-gc (subscriber-driver.ts): each measurement starts from a collected heap. */
const collectGarbage = (globalThis as { gc?: () => void }).gc ?? (() => undefined);

async function latency(command: Extract<Command, { cmd: 'latency' }>): Promise<LatencyResult> {
  collectGarbage();
  lastFrameBytes = undefined;
  const result: LatencyResult = { lastArrivalMs: [], ackMs: [] };
  for (let i = 0; i < command.messages; i++) {
    const tag = `L${Date.now()}-${i}`;
    const all = new Promise<void>((resolve, reject) => {
      waiters.set(tag, { count: command.expected, resolve });
      setTimeout(() => reject(new Error(`${tag}: ${arrivals.get(tag) ?? 0} of ${command.expected} arrived in 10 s`)), 10_000).unref();
    });
    const thread = command.threads[i % command.threads.length]!;
    const started = performance.now();
    await send(command.target, command.feed, command.sendUrl, thread.threadId, thread.token, contentFor(tag));
    result.ackMs.push(performance.now() - started);
    await all;
    result.lastArrivalMs.push(performance.now() - started);
    arrivals.delete(tag);
    await new Promise((resolve) => setTimeout(resolve, command.pauseMs));
  }
  return { ...result, frameBytes: lastFrameBytes };
}

async function throughput(command: Extract<Command, { cmd: 'throughput' }>): Promise<ThroughputResult> {
  collectGarbage();
  arrivals.clear();
  let delivered = 0;
  let lastArrival = 0;
  onAnyArrival = () => {
    delivered += 1;
    lastArrival = performance.now();
  };
  let sent = 0;
  let next = 0;
  const started = performance.now();
  const deadline = started + command.durationMs;
  const sender = async () => {
    while (performance.now() < deadline) {
      const thread = command.threads[next++ % command.threads.length]!;
      await send(command.target, command.feed, command.sendUrl, thread.threadId, thread.token, contentFor(`T${next}`));
      sent += 1;
    }
  };
  await Promise.all(Array.from({ length: command.concurrency }, sender));
  const expected = sent * command.expectedPerMessage;
  const waitUntil = performance.now() + 60_000;
  while (delivered < expected && performance.now() < waitUntil) await new Promise((resolve) => setTimeout(resolve, 20));
  onAnyArrival = undefined;
  arrivals.clear();
  return { sent, delivered, elapsedMs: lastArrival - started, missing: Math.max(0, expected - delivered) };
}

async function close(): Promise<{ closed: number }> {
  const closed = libraryClients.length + rawSockets.length;
  await Promise.all(libraryClients.splice(0).map((client) => client.dispose()));
  for (const socket of rawSockets.splice(0)) socket.close();
  return { closed };
}

async function handle(command: Command): Promise<unknown> {
  switch (command.cmd) {
    case 'open':
      return open(command.target, command.wsUrl, command.groups);
    case 'latency':
      return latency(command);
    case 'throughput':
      return throughput(command);
    case 'close':
      return { ...(await close()), subscriptionErrors };
  }
}

process.on('message', (command: Command) => {
  handle(command).then(
    (result) => process.send!({ ok: true, result } satisfies Reply),
    (error: unknown) => process.send!({ ok: false, error: String((error as Error)?.stack ?? error) } satisfies Reply),
  );
});
process.send!({ ready: true } satisfies Reply);
