import { createClient, type Client } from 'graphql-ws';
import type { TypedDocumentString } from './gql/graphql.js';

/** The API answered with errors; `unauthenticated` when the token was refused, `code` the first error's. */
export class ApiError extends Error {
  constructor(message: string, readonly unauthenticated: boolean, readonly code?: string) {
    super(message);
  }
}

interface GraphqlBody<T> {
  data?: T | null;
  errors?: Array<{ message: string; extensions?: { code?: string } }>;
}

/**
 * The page's only ways to the API: typed documents (dashboard/src/gql/, from the GraphQL Code
 * Generator's client preset) over HTTP POST, and subscriptions over one graphql-ws socket.
 */
export interface Api {
  request<TResult, TVariables>(document: TypedDocumentString<TResult, TVariables>, variables: TVariables): Promise<TResult>;
  /**
   * `variables` is read each time the subscription is sent: when graphql-ws reconnects and
   * subscribes again, a function gives the variables of that moment (e.g. the newest afterSeq).
   */
  subscribe<TResult, TVariables>(
    document: TypedDocumentString<TResult, TVariables>,
    variables: () => TVariables,
    sink: { next: (data: TResult) => void; error: (error: ApiError) => void },
  ): () => void;
  /**
   * Resolves once the socket is up (at once when it is). graphql-ws does not acknowledge a
   * subscription; a subscription made before this resolves has been sent once it does.
   */
  connected(): Promise<void>;
  /** Calls `listener` each time the socket is up again after it was lost, as graphql-ws subscribes anew. */
  onReconnected(listener: () => void): () => void;
  close(): void;
}

/** Longest wait between two reconnection attempts, ms (graphql-ws's own backoff keeps doubling). */
const MAX_RETRY_WAIT_MS = 5_000;

export interface ApiEvents {
  /** The token was refused (HTTP UNAUTHENTICATED, or the socket closed with 4403). */
  unauthenticated: () => void;
  /** The socket is up (`true`) or lost and being retried (`false`). */
  connection: (connected: boolean) => void;
}

/** Same origin as the page: /graphql for both. */
export function createApi(token: string, events: ApiEvents): Api {
  const onUnauthenticated = events.unauthenticated;
  const endpoint = new URL('/graphql', window.location.href);
  const socketUrl = new URL(endpoint);
  socketUrl.protocol = endpoint.protocol === 'https:' ? 'wss:' : 'ws:';
  const authorization = `Bearer ${token}`;
  let up = false;
  const waitingForUp: Array<() => void> = [];
  const socket: Client = createClient({
    url: socketUrl.href,
    connectionParams: { authorization },
    // Forbidden (4403) is a refused token: retrying will not help, signing in again will.
    shouldRetry: (event) => !(event instanceof CloseEvent && event.code === 4403),
    retryAttempts: Number.POSITIVE_INFINITY,
    retryWait: (retries) => new Promise((resolve) => setTimeout(resolve, Math.min(MAX_RETRY_WAIT_MS, 500 * 2 ** retries) + Math.random() * 500)),
    on: {
      connected: () => {
        up = true;
        for (const resolve of waitingForUp.splice(0)) resolve();
        events.connection(true);
      },
      closed: (event) => {
        up = false;
        if (event instanceof CloseEvent && event.code === 4403) onUnauthenticated();
        else events.connection(false);
      },
    },
  });

  const failure = (errors: NonNullable<GraphqlBody<unknown>['errors']>) => {
    const unauthenticated = errors.some((error) => error.extensions?.code === 'UNAUTHENTICATED');
    if (unauthenticated) onUnauthenticated();
    return new ApiError(errors.map((error) => error.message).join('; '), unauthenticated, errors[0]?.extensions?.code);
  };

  return {
    async request(document, variables) {
      const response = await fetch(endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json, application/json', authorization },
        body: JSON.stringify({ query: document.toString(), variables }),
      });
      const body = (await response.json()) as GraphqlBody<never>;
      if (body.errors?.length) throw failure(body.errors);
      if (!body.data) throw new ApiError(`The API answered ${response.status} without data`, response.status === 401);
      return body.data;
    },
    subscribe(document, variables, sink) {
      // graphql-ws serialises the payload anew for every (re)subscription, getters included.
      const payload = {
        query: document.toString(),
        get variables() {
          return variables() as Record<string, unknown>;
        },
      };
      return socket.subscribe<never>(
        payload,
        {
          next: (result) => {
            if (result.errors?.length) sink.error(failure(result.errors as NonNullable<GraphqlBody<unknown>['errors']>));
            else if (result.data) sink.next(result.data);
          },
          error: (error) => sink.error(new ApiError(error instanceof Error ? error.message : 'The subscription failed', false)),
          complete: () => {},
        },
      );
    },
    connected: () => (up ? Promise.resolve() : new Promise<void>((resolve) => waitingForUp.push(resolve))),
    onReconnected: (listener) => socket.on('connected', (_socket, _payload, wasRetry) => {
      if (wasRetry) listener();
    }),
    close: () => void socket.dispose(),
  };
}
