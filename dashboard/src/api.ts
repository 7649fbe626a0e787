import { createClient, type Client } from 'graphql-ws';
import type { TypedDocumentString } from './gql/graphql.js';

/** The API answered with errors; `unauthenticated` when the token was refused. */
export class ApiError extends Error {
  constructor(message: string, readonly unauthenticated: boolean) {
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
  subscribe<TResult, TVariables>(
    document: TypedDocumentString<TResult, TVariables>,
    variables: TVariables,
    sink: { next: (data: TResult) => void; error: (error: ApiError) => void },
  ): () => void;
  close(): void;
}

/** Same origin as the page: /graphql for both. */
export function createApi(token: string, onUnauthenticated: () => void): Api {
  const endpoint = new URL('/graphql', window.location.href);
  const socketUrl = new URL(endpoint);
  socketUrl.protocol = endpoint.protocol === 'https:' ? 'wss:' : 'ws:';
  const authorization = `Bearer ${token}`;
  const socket: Client = createClient({
    url: socketUrl.href,
    connectionParams: { authorization },
    // Forbidden (4403) is a refused token: retrying will not help, signing in again will.
    shouldRetry: (event) => !(event instanceof CloseEvent && event.code === 4403),
    retryAttempts: Number.POSITIVE_INFINITY,
    on: {
      closed: (event) => {
        if (event instanceof CloseEvent && event.code === 4403) onUnauthenticated();
      },
    },
  });

  const failure = (errors: NonNullable<GraphqlBody<unknown>['errors']>) => {
    const unauthenticated = errors.some((error) => error.extensions?.code === 'UNAUTHENTICATED');
    if (unauthenticated) onUnauthenticated();
    return new ApiError(errors.map((error) => error.message).join('; '), unauthenticated);
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
      return socket.subscribe<never>(
        { query: document.toString(), variables: variables as Record<string, unknown> },
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
    close: () => void socket.dispose(),
  };
}
