import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/** Per connection, the response to its latest request. */
const latestResponse = new WeakMap<Socket, ServerResponse>();

/**
 * Runs `handle` for a request once the one before it on the same connection (HTTP/1.1 pipelining)
 * has been answered, and not at all when that answer closed the connection: Node emits every
 * request it has parsed, but a request after a `Connection: close` answer (a refused body, a
 * draining server) must not be processed (RFC 9112 §9.6), and Node would never send its answer.
 * Every such answer says so the one way Node itself reads: `shouldKeepAlive` false.
 */
export function guardConnection(req: IncomingMessage, res: ServerResponse, handle: () => void): void {
  closeIfBodyUnread(req, res);
  const socket = req.socket;
  const previous = latestResponse.get(socket);
  latestResponse.set(socket, res);
  const next = () => {
    if (!previous || (previous.writableFinished && previous.shouldKeepAlive)) handle();
    else socket.destroy();
  };
  if (!previous || previous.writableFinished) return next();
  previous.once('close', next);
}

/**
 * An answer given before its request's body was read in full (a route that takes no body, a media
 * type yoga does not parse, a refused body) closes the connection: to keep it alive, Node would
 * otherwise read and discard the rest of that body, however long it was declared or kept
 * streaming. Every answer writes its head through writeHead (res.end without it too): the last
 * moment to decide.
 */
function closeIfBodyUnread(req: IncomingMessage, res: ServerResponse): void {
  if ((req.headers['content-length'] ?? '0') === '0' && req.headers['transfer-encoding'] === undefined) return;
  const writeHead = res.writeHead;
  res.writeHead = function (this: ServerResponse, ...args: Parameters<ServerResponse['writeHead']>) {
    if (!req.complete) this.shouldKeepAlive = false;
    return writeHead.apply(this, args);
  } as ServerResponse['writeHead'];
}
