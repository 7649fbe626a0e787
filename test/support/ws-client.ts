import { createClient, type Client } from 'graphql-ws';
import { expect, vi } from 'vitest';
import WebSocket from 'ws';
import { tokenFor } from './test-app.js';

export type GraphqlWsErrors = Array<{ message: string; extensions?: { code?: string } }>;

export interface SocketClient {
  client: Client;
  /** The raw socket once connected, for abrupt endings. */
  socket(): WebSocket;
  /** Resolves with the close code the first time the socket closes. */
  closed: Promise<{ code: number; reason: string }>;
  /** Resolves once the server acknowledged connection_init. */
  acknowledged: Promise<void>;
}

/**
 * The graphql-ws endpoint of an app started by startTestApp (same path as HTTP). By address:
 * resolving "localhost" takes a libuv pool thread per connection, which queues under load.
 */
export function wsUrlOf(httpUrl: string): string {
  return httpUrl.replace(/^http/, 'ws').replace('//localhost:', '//127.0.0.1:');
}

const tokens = new Map<string, Promise<string>>();
/** Signing is async WebCrypto work on the same pool; a user's token is signed once. */
function cachedTokenFor(userId: string): Promise<string> {
  let token = tokens.get(userId);
  if (!token) tokens.set(userId, (token = tokenFor(userId)));
  return token;
}

/**
 * A real graphql-ws client over a real socket, connected eagerly (so a refused token shows as a
 * close code), never retrying (a refusal must stay visible).
 */
export async function connectAs(
  url: string,
  auth: { userId: string } | { authorization: string | null },
  options: { webSocketImpl?: unknown; connectionParams?: Record<string, unknown> } = {},
): Promise<SocketClient> {
  const authorization = 'userId' in auth ? `Bearer ${await cachedTokenFor(auth.userId)}` : auth.authorization;
  let raw: WebSocket | undefined;
  let onClosed!: (event: { code: number; reason: string }) => void;
  let onAck!: () => void;
  const closed = new Promise<{ code: number; reason: string }>((resolve) => (onClosed = resolve));
  const acknowledged = new Promise<void>((resolve) => (onAck = resolve));
  const client = createClient({
    url: wsUrlOf(url),
    webSocketImpl: options.webSocketImpl ?? WebSocket,
    connectionParams: options.connectionParams ?? (authorization === null ? {} : { authorization }),
    lazy: false,
    retryAttempts: 0,
    onNonLazyError: () => undefined,
    on: {
      connected: (socket) => {
        raw = socket as WebSocket;
        onAck();
      },
      closed: (event) => {
        const { code, reason } = event as { code: number; reason: string };
        onClosed({ code, reason: String(reason) });
      },
    },
  });
  return {
    client,
    socket: () => {
      if (!raw) throw new Error('not connected yet');
      return raw;
    },
    closed,
    acknowledged,
  };
}

export interface Collected<T = any> {
  /** `data` of every `next` without errors, in order. */
  events: T[];
  /** Errors of `next` payloads and of `error` messages. */
  errors: GraphqlWsErrors;
  /** Resolves when the server completed or errored the operation. */
  done: Promise<void>;
  /** Completes the operation from the client. */
  stop(): void;
  /** Resolves once `count` events arrived. */
  received(count: number, timeoutMs?: number): Promise<T[]>;
}

/** Subscribes and collects what arrives. */
export function collect<T = any>(client: Client, query: string, variables: Record<string, unknown> = {}, operationName?: string): Collected<T> {
  const events: T[] = [];
  const errors: GraphqlWsErrors = [];
  const waiters: Array<() => void> = [];
  const wake = () => waiters.splice(0).forEach((waiter) => waiter());
  let finish!: () => void;
  const done = new Promise<void>((resolve) => (finish = resolve));
  const stop = client.subscribe<T>(
    { query, variables, ...(operationName === undefined ? {} : { operationName }) },
    {
      next: (result) => {
        if (result.errors) errors.push(...(result.errors as GraphqlWsErrors));
        else events.push(result.data as T);
        wake();
      },
      error: (error) => {
        errors.push(...(Array.isArray(error) ? (error as GraphqlWsErrors) : [{ message: String((error as Error)?.message ?? error) }]));
        finish();
        wake();
      },
      complete: () => {
        finish();
        wake();
      },
    },
  );
  async function received(count: number, timeoutMs = 10_000): Promise<T[]> {
    const deadline = Date.now() + timeoutMs;
    while (events.length < count) {
      if (Date.now() > deadline) throw new Error(`got ${events.length} of ${count} events; errors ${JSON.stringify(errors)}`);
      await new Promise<void>((resolve) => {
        waiters.push(resolve);
        setTimeout(resolve, 50);
      });
    }
    return events.slice(0, count);
  }
  return { events, errors, done, stop, received };
}

/**
 * Waits until the server holds `count` subscriptions. A subscribe is registered only after its
 * ownership check, a round trip to storage: events published before then reach no one, and only
 * messages are replayed, so a test that sends deltas or run changes waits for this first.
 */
export function subscriptionsHeld(app: { realtime: { readonly subscriptions: number } }, count: number): Promise<void> {
  return vi.waitFor(() => expect(app.realtime.subscriptions).toBe(count));
}

/** A client socket that never answers pings, as a peer that vanished without closing would. */
export class UnresponsiveWebSocket extends WebSocket {
  constructor(address: string, protocols?: string | string[]) {
    super(address, protocols, { autoPong: false });
  }
}
