import type { Server } from 'node:http';
import { buildExecutionContext } from '@graphql-tools/executor';
import { getOperationAST, GraphQLError, type ExecutionArgs } from 'graphql';
import { CloseCode, type Context, type ServerOptions } from 'graphql-ws';
import { useServer, type Extra } from 'graphql-ws/use/ws';
import type { Logger } from 'pino';
import { WebSocketServer, type WebSocket } from 'ws';
import type { TokenKeys } from '../context/bearer-token.js';
import { createExecutionContext, type ContextSeed, type ExecutionContext } from '../context/execution-context.js';
import { ids } from '../ids/generate-ids.js';
import { realtimeSockets } from '../observability/metrics.js';
import { clientError } from '../errors/error-codes.js';
import { attachSocketFrames } from '../realtime/socket-frames.js';
import { createUserQuota } from '../realtime/user-quota.js';
import { createErrorMasker } from './error-masking.js';
import { authenticate, type createGraphqlHandler } from './graphql-handler.js';
import { maxOperationBytes } from './request-body-limit.js';

/**
 * Close codes this server sends, beyond graphql-ws's own protocol codes (4400 bad message,
 * 4401 subscribe before ack, 4408 no init in time, 4409 duplicate ID, 4429 second init).
 */
export const SocketCloseCode = {
  /** Missing, malformed, expired or forged token; the reason says which. */
  Forbidden: CloseCode.Forbidden,
  /** The user already holds the configured number of connections to this instance. */
  TooManyConnections: 4008,
  /** The server is shutting down. */
  GoingAway: 1001,
} as const;

export interface WebsocketServerOptions {
  /** The HTTP server yoga listens on; sockets upgrade on the same path, /graphql. */
  server: Server;
  /** The yoga instance: its parse, validate (query limits), masking and execution, shared with HTTP. */
  yoga: ReturnType<typeof createGraphqlHandler>;
  /** What every execution context is made from; `realtime` is the subscription registry. */
  seed: Omit<ContextSeed, 'auth' | 'connectionId'>;
  tokenKeys: TokenKeys;
  log: Logger;
  /** Ping interval and pong deadline, ms; 0 disables. Default from config: 12000. */
  keepAliveMs: number;
  /** Open connections per user. Default from config: 20. */
  maxConnectionsPerUser: number;
  /** Closes reveal error messages only outside production. */
  isProd: boolean;
}

/** Per socket: the connection's execution context, made once when its token checked out, and that token. */
type SocketState = { connection?: ExecutionContext; authorization?: string | null };
type SocketContext = Context<Record<string, unknown> | undefined, Extra & Partial<SocketState>>;

/**
 * graphql-ws (`graphql-transport-ws`) on yoga's HTTP server: a thin adapter. The token is checked
 * once in onConnect; each subscribe gets a child execution context, and its parse/validate
 * errors are answered for that operation alone, so one bad operation cannot close a socket
 * that carries others (graphql-ws would close with 4500).
 */
export function createWebsocketServer(options: WebsocketServerOptions) {
  const { yoga, seed, log } = options;
  const maskError = createErrorMasker(log);
  const connections = createUserQuota(options.maxConnectionsPerUser);
  const wss = new WebSocketServer({ server: options.server, path: yoga.graphqlEndpoint, maxPayload: maxOperationBytes(seed.limits.maxMessageBytes) });

  async function onConnect(ctx: SocketContext): Promise<boolean> {
    const { socket } = ctx.extra;
    const authorization = authorizationParam(ctx.connectionParams);
    const auth = await authenticate(authorization, options.tokenKeys);
    // The socket may have gone while the token was checked: then nothing may be acquired.
    if (socket.readyState !== socket.OPEN) return false;
    if ('failure' in auth) return refuse(ctx, SocketCloseCode.Forbidden, `Forbidden: ${auth.failure}`);
    if (!connections.tryAcquire(auth.userId)) {
      return refuse(ctx, SocketCloseCode.TooManyConnections, `Too many connections: at most ${connections.limit} per user`);
    }
    ctx.extra.connection = createExecutionContext({ ...seed, auth, connectionId: ids.connectionId() });
    ctx.extra.authorization = authorization;
    ctx.extra.connection.log.debug('socket connected');
    // The upgrade request (headers, stream state) is not read after this point; graphql-ws would
    // keep it for the socket's whole life, a few KB per idle socket.
    (ctx.extra as { request?: unknown }).request = undefined;
    return true;
  }

  async function onSubscribe(ctx: SocketContext, id: string, payload: { query: string; operationName?: string | null; variables?: Record<string, unknown> | null }) {
    // The token is checked again (from the cache of verified tokens): a socket outliving its token
    // starts nothing more, and is closed so that its client reconnects with a fresh one.
    const auth = await authenticate(ctx.extra.authorization, options.tokenKeys);
    if ('failure' in auth) {
      refuse(ctx, SocketCloseCode.Forbidden, `Forbidden: ${auth.failure}`);
      return [clientError('UNAUTHENTICATED', auth.failure)];
    }
    try {
      // A child of the connection's context: same user and connection, its own request ID, unit of work and loaders.
      const connection = ctx.extra.connection as ExecutionContext & { userId: string };
      const operation = createExecutionContext({ ...seed, auth: { userId: connection.userId, actor: connection.actor }, connectionId: connection.connectionId });
      const { schema, execute, subscribe, contextFactory, parse, validate } = yoga.getEnveloped(operation);
      const document = parse(payload.query);
      const errors = validate(schema, document);
      if (errors.length > 0) return errors.map(masked);
      const contextValue = await contextFactory();
      attachSocketFrames(contextValue, ctx.extra.socket, id);
      const args: ExecutionArgs & { rootValue: Executors } = {
        schema,
        document,
        operationName: payload.operationName,
        variableValues: payload.variables,
        contextValue,
        rootValue: { execute, subscribe },
      };
      // graphql-ws would answer an operation it cannot find with an error of its own, without a
      // code; yoga's executor resolves it as over HTTP (OPERATION_RESOLUTION_FAILURE).
      if (!getOperationAST(document, payload.operationName)) return unresolvedOperation(args).map(masked);
      return args;
    } catch (error) {
      return [masked(error)];
    }
  }

  const masked = (error: unknown) => socketError(maskError(error));

  // Its dispose() is not used: close() below also waits for the sockets, and terminates stragglers.
  useServer<Record<string, unknown> | undefined, SocketState>(
    {
      isProd: options.isProd,
      execute: (args) => (args.rootValue as Executors).execute(args),
      subscribe: (args) => (args.rootValue as Executors).subscribe(args),
      onConnect,
      onSubscribe,
      onClose: (ctx, code) => {
        const connection = ctx.extra.connection;
        if (connection?.userId) connections.release(connection.userId);
        connection?.log.debug({ code }, 'socket closed');
        delete ctx.extra.connection;
      },
    },
    wss,
    options.keepAliveMs,
  );
  // After useServer, so that its listeners are on the socket by the time this one runs.
  wss.on('connection', (socket) => {
    realtimeSockets.inc();
    socket.once('close', () => realtimeSockets.dec());
    reportSocketErrors(socket, log);
  });

  return {
    /** Open sockets, whether or not they finished connection_init. */
    get sockets(): number {
      return wss.clients.size;
    },

    /**
     * Closes every socket with 1001 (each closing ends its subscriptions), terminates those that
     * have not finished closing after `graceMs`, and resolves once all are gone.
     */
    async close(graceMs = 1_000): Promise<void> {
      const closed = new Promise<void>((resolve) => wss.close(() => resolve()));
      for (const socket of wss.clients) socket.close(SocketCloseCode.GoingAway, 'Server shutting down');
      const straggling = setTimeout(() => wss.clients.forEach((socket) => socket.terminate()), graceMs);
      await closed;
      clearTimeout(straggling);
    },
  };
}

/** Closes with our code and reason; returning false then makes graphql-ws's own close a no-op. */
/** The token from connection_init's params: `authorization`, matched without case, as HTTP matches its header. */
function authorizationParam(params: Record<string, unknown> | undefined): string | null {
  const key = Object.keys(params ?? {}).find((name) => name.toLowerCase() === 'authorization');
  const value = key === undefined ? undefined : params?.[key];
  return typeof value === 'string' ? value : null;
}

function refuse(ctx: SocketContext, code: number, reason: string): false {
  ctx.extra.socket.close(code, reason.slice(0, 123));
  return false;
}

/** A masked error as over HTTP, minus yoga's `http` extension, which means nothing on a socket. */
function socketError(shown: Error): GraphQLError {
  if (!(shown instanceof GraphQLError)) return new GraphQLError('Unexpected error.', { extensions: { code: 'INTERNAL' } });
  const { http: _http, ...extensions } = shown.extensions;
  return new GraphQLError(shown.message, { nodes: shown.nodes, source: shown.source, positions: shown.positions, extensions });
}

/** The errors yoga's executor answers for arguments whose operation cannot be resolved. */
function unresolvedOperation(args: ExecutionArgs): readonly GraphQLError[] {
  const resolved = buildExecutionContext(args);
  return Array.isArray(resolved) ? resolved : [new GraphQLError('Unable to identify operation', { extensions: { code: 'OPERATION_RESOLUTION_FAILURE' } })];
}

/** Yoga's enveloped execute and subscribe, handed through rootValue as in yoga's graphql-ws recipe. */
type Executors = { execute: NonNullable<ServerOptions['execute']>; subscribe: NonNullable<ServerOptions['subscribe']> };

export type WebsocketServer = ReturnType<typeof createWebsocketServer>;

/**
 * graphql-ws writes every socket error to stderr as "Internal error emitted on a WebSocket
 * socket", and closes with 1011. Most are the client's: a frame over maxPayload, invalid UTF-8,
 * a bad opcode (ws's WS_ERR_* codes, the socket already closing with 1009, 1007 or 1002), or a
 * connection reset. Those are logged at info; anything else is the server's, at error, and
 * closes the socket as graphql-ws would.
 */
function reportSocketErrors(socket: WebSocket, log: Logger): void {
  socket.removeAllListeners('error');
  socket.on('error', (error: Error & { code?: string }) => {
    if (error.code?.startsWith('WS_ERR_') || error.code === 'ECONNRESET' || error.code === 'EPIPE') {
      log.info({ code: error.code, reason: error.message }, 'socket closed on a client protocol error');
      return;
    }
    log.error({ err: error }, 'socket error');
    if (socket.readyState === socket.OPEN) socket.close(CloseCode.InternalServerError, 'Internal server error');
  });
}
