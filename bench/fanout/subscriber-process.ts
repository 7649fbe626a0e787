// The fanout bench's subscribers and senders, in their own process so that the server's CPU and
// memory are measured alone. Driven over IPC (protocol.ts); loopback only; exits when the parent
// goes or after --max-minutes.
import { performance } from 'node:perf_hooks';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { contentFor, SUBSCRIPTION, tagOf, type Command, type LatencyResult, type Reply, type SubscriberGroup, type Target, type ThroughputResult } from './protocol.js';

const SEND = 'mutation($input: SendMessageInput!) { sendMessage(input: $input) { seq } }';
const OPEN_WIDTH = 200;
const maxMinutes = Number(process.argv[2] ?? 30);
setTimeout(() => process.exit(3), maxMinutes * 60_000).unref();
process.on('disconnect', () => process.exit(0));

const graphqlClients: Array<{ client: Client; threadId: string }> = [];
const bareSockets: WebSocket[] = [];
let subscriptionErrors = 0;
/** Arrivals per tag, and who waits for a count. */
const arrivals = new Map<string, number>();
const waiters = new Map<string, { count: number; resolve: () => void }>();
let onAnyArrival: (() => void) | undefined;

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

function subscribe(client: Client, threadId: string): void {
  client.subscribe<{ messageAdded: { content: string } }>(
    { query: SUBSCRIPTION, variables: { threadId } },
    {
      next: (result) => (result.data ? arrived(result.data.messageAdded.content) : (subscriptionErrors += 1)),
      error: () => (subscriptionErrors += 1),
      complete: () => undefined,
    },
  );
}

async function openGraphql(wsUrl: string, group: SubscriberGroup): Promise<void> {
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
  for (let i = 0; i < group.subscriptionsPerConnection; i++) subscribe(client, group.threadId);
  graphqlClients.push({ client, threadId: group.threadId });
}

async function openBare(wsUrl: string, group: SubscriberGroup): Promise<void> {
  const socket = new WebSocket(`${wsUrl}?thread=${encodeURIComponent(group.threadId)}`);
  await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
  socket.on('message', (data) => arrived(JSON.parse(String(data)).payload.data.messageAdded.content));
  bareSockets.push(socket);
}

async function open(target: Target, wsUrl: string, groups: SubscriberGroup[]): Promise<{ sockets: number }> {
  const jobs = groups.flatMap((group) => Array.from({ length: group.connections }, () => group));
  await inBatches(jobs, (group) => (target === 'graphql' ? openGraphql(wsUrl, group) : openBare(wsUrl, group)));
  return { sockets: graphqlClients.length + bareSockets.length };
}

async function send(target: Target, sendUrl: string, threadId: string, token: string, content: string): Promise<void> {
  const body = target === 'graphql' ? { query: SEND, variables: { input: { threadId, content } } } : { threadId, content };
  const response = await fetch(sendUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(target === 'graphql' ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  const json = (await response.json()) as { errors?: unknown };
  if (!response.ok || json.errors) throw new Error(`send failed: ${response.status} ${JSON.stringify(json.errors)}`);
}

async function latency(command: Extract<Command, { cmd: 'latency' }>): Promise<LatencyResult> {
  const result: LatencyResult = { lastArrivalMs: [], ackMs: [] };
  for (let i = 0; i < command.messages; i++) {
    const tag = `L${Date.now()}-${i}`;
    const all = new Promise<void>((resolve, reject) => {
      waiters.set(tag, { count: command.expected, resolve });
      setTimeout(() => reject(new Error(`${tag}: ${arrivals.get(tag) ?? 0} of ${command.expected} arrived in 10 s`)), 10_000).unref();
    });
    const started = performance.now();
    await send(command.target, command.sendUrl, command.threadId, command.token, contentFor(tag));
    result.ackMs.push(performance.now() - started);
    await all;
    result.lastArrivalMs.push(performance.now() - started);
    arrivals.delete(tag);
    await new Promise((resolve) => setTimeout(resolve, command.pauseMs));
  }
  return result;
}

async function throughput(command: Extract<Command, { cmd: 'throughput' }>): Promise<ThroughputResult> {
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
      await send(command.target, command.sendUrl, thread.threadId, thread.token, contentFor(`T${next}`));
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
  const closed = graphqlClients.length + bareSockets.length;
  await Promise.all(graphqlClients.splice(0).map(({ client }) => client.dispose()));
  for (const socket of bareSockets.splice(0)) socket.terminate();
  return { closed };
}

async function handle(command: Command): Promise<unknown> {
  switch (command.cmd) {
    case 'open':
      return open(command.target, command.wsUrl, command.groups);
    case 'subscribeMore':
      for (const { client, threadId } of graphqlClients) subscribe(client, threadId);
      return { subscriptions: graphqlClients.length };
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
