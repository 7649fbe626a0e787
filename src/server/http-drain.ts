import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Logger } from 'pino';

export interface HttpDrain {
  /** True from the moment `drain` is called: `/ready` answers 503 `draining`. */
  readonly draining: boolean;
  /** Call for every request, before it is handled: counts it as in flight until its response closes. */
  track(req: IncomingMessage, res: ServerResponse): void;
  /**
   * Stops accepting connections, closes the idle ones, and lets the requests in flight finish;
   * after `graceMs` the connections still open are destroyed. Resolves once the HTTP server is
   * closed (upgraded WebSocket sockets count too: close them beside this).
   */
  drain(graceMs: number): Promise<void>;
}

/**
 * Graceful HTTP shutdown over Node's server. Node's `close()` stops the listener and closes the
 * connections idle at that instant, but a keep-alive connection busy at that instant would stay
 * open after its response, waiting for another request: here each finished response closes
 * whatever has become idle, and a request that arrives during the drain (on a connection still
 * open) is answered with `Connection: close`. A response already under way keeps its keep-alive:
 * marking it `close` would make Node drop a request pipelined behind it unanswered.
 */
export function createHttpDrain(server: Server, log: Logger): HttpDrain {
  const inFlight = new Set<ServerResponse>();
  let draining = false;

  return {
    get draining() {
      return draining;
    },

    track(_req, res) {
      inFlight.add(res);
      if (draining) res.shouldKeepAlive = false;
      res.once('close', () => {
        inFlight.delete(res);
        if (draining) server.closeIdleConnections();
      });
    },

    async drain(graceMs) {
      draining = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      log.info({ inFlight: inFlight.size, graceMs }, 'draining HTTP requests');
      const deadline = setTimeout(() => {
        if (inFlight.size > 0) log.warn({ inFlight: inFlight.size, graceMs }, 'shutdown deadline passed: closing the requests still in flight');
        server.closeAllConnections();
      }, graceMs);
      await closed;
      clearTimeout(deadline);
    },
  };
}
