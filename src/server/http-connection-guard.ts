import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/** Per connection, its latest response: whether that left the connection open, once it is done. */
const latestAnswer = new WeakMap<Socket, Promise<boolean>>();

/**
 * Runs `handle` for a request once the one before it on the same connection (HTTP/1.1 pipelining)
 * has been answered, and not at all when that answer closed the connection: Node emits every
 * request it has parsed, but a request after a `Connection: close` answer (a refused body) must not
 * be processed (RFC 9112 §9.6), and Node would never send its answer either.
 *
 * And an answer given before its request's body was read in full (a route that takes no body, a
 * media type yoga does not parse, a refused body) says `Connection: close`: to keep the connection
 * alive, Node would otherwise read and discard the rest of that body, however long it was declared
 * or kept streaming.
 */
export function guardConnection(req: IncomingMessage, res: ServerResponse, handle: () => void): void {
  const closing = closeIfBodyUnread(req, res);
  const previous = latestAnswer.get(req.socket);
  latestAnswer.set(req.socket, answered(res, closing));
  if (!previous) return handle();
  const socket = req.socket;
  void previous.then((open) => (open ? handle() : socket.destroy()));
}

/**
 * Every answer writes its head through writeHead (res.end without it too): the last moment to say
 * close. Answers whether the head it wrote said close, whoever decided it (here, a refusal's own
 * header, the shutdown drain).
 */
function closeIfBodyUnread(req: IncomingMessage, res: ServerResponse): { readonly head: boolean } {
  const closing = { head: false };
  const hasBody = (req.headers['content-length'] ?? '0') !== '0' || req.headers['transfer-encoding'] !== undefined;
  const writeHead = res.writeHead;
  res.writeHead = function (this: ServerResponse, ...args: Parameters<ServerResponse['writeHead']>) {
    if (hasBody && !req.complete && !this.headersSent) this.setHeader('connection', 'close');
    closing.head = String(this.getHeader('connection')).toLowerCase() === 'close' || args.some(saysClose);
    return writeHead.apply(this, args);
  } as ServerResponse['writeHead'];
  return closing;
}

/** Whether writeHead's headers argument (an object, or a flat or paired array of raw headers) says `Connection: close`. */
function saysClose(headers: unknown): boolean {
  if (headers === null || typeof headers !== 'object') return false;
  const pairs: unknown[][] = !Array.isArray(headers)
    ? Object.entries(headers)
    : Array.isArray(headers[0])
      ? headers
      : headers.flatMap((name, index) => (index % 2 === 0 ? [[name, headers[index + 1]]] : []));
  return pairs.some(([name, value]) => String(name).toLowerCase() === 'connection' && String(value).toLowerCase() === 'close');
}

function answered(res: ServerResponse, closing: { readonly head: boolean }): Promise<boolean> {
  return new Promise((resolve) => {
    res.once('finish', () => resolve(res.shouldKeepAlive && !closing.head));
    // Closed without finishing (the client went away, a shutdown): nothing more on this connection.
    res.once('close', () => resolve(false));
  });
}
