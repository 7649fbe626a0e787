import { connect, type Socket } from 'node:net';

/**
 * One HTTP/1.1 connection driven by hand, for what fetch hides: pipelining a request behind one
 * still in flight, keeping a connection idle, and seeing when the server closes it.
 */
export interface RawConnection {
  /** Writes a request; responses come back in order (pipelining). */
  send(request: { method: string; path: string; headers?: Record<string, string>; body?: string }): void;
  /** The first `count` responses, waiting for them (rejects if the connection ends before). */
  responses(count: number): Promise<RawResponse[]>;
  /** Resolves when the server has closed the connection (or it was reset). */
  readonly closed: Promise<void>;
  readonly isClosed: boolean;
  destroy(): void;
}

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export async function openRawConnection(port: number): Promise<RawConnection> {
  const socket: Socket = connect({ port, host: '127.0.0.1' });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  let received = Buffer.alloc(0);
  let isClosed = false;
  const wakers = new Set<() => void>();
  socket.on('data', (chunk) => {
    received = Buffer.concat([received, chunk]);
    wakers.forEach((wake) => wake());
  });
  socket.on('error', () => {});
  const closed = new Promise<void>((resolve) =>
    socket.once('close', () => {
      isClosed = true;
      resolve();
      wakers.forEach((wake) => wake());
    }),
  );
  return {
    send({ method, path, headers = {}, body = '' }) {
      const lines = [`${method} ${path} HTTP/1.1`, 'Host: 127.0.0.1', `Content-Length: ${Buffer.byteLength(body)}`];
      for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
      socket.write(`${lines.join('\r\n')}\r\n\r\n${body}`);
    },
    responses: (count) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const parsed = parseResponses(received);
          if (parsed.length >= count) return done(() => resolve(parsed.slice(0, count)));
          if (isClosed) done(() => reject(new Error(`connection closed after ${parsed.length} of ${count} responses: ${received.toString()}`)));
        };
        const done = (settle: () => void) => {
          wakers.delete(check);
          settle();
        };
        wakers.add(check);
        check();
      }),
    closed,
    get isClosed() {
      return isClosed;
    },
    destroy: () => socket.destroy(),
  };
}

/** The complete responses at the start of `data` (Content-Length or chunked bodies). */
function parseResponses(data: Buffer): RawResponse[] {
  const responses: RawResponse[] = [];
  let rest = data.toString('latin1');
  for (;;) {
    const headEnd = rest.indexOf('\r\n\r\n');
    if (headEnd === -1) return responses;
    const [statusLine, ...headerLines] = rest.slice(0, headEnd).split('\r\n');
    const headers = Object.fromEntries(headerLines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]));
    const body = readBody(rest.slice(headEnd + 4), headers);
    if (!body) return responses;
    responses.push({ status: Number(statusLine?.split(' ')[1]), headers, body: Buffer.from(body.text, 'latin1').toString('utf8') });
    rest = body.rest;
  }
}

function readBody(text: string, headers: Record<string, string>): { text: string; rest: string } | undefined {
  if (headers['transfer-encoding'] !== 'chunked') {
    const length = Number(headers['content-length'] ?? 0);
    return text.length >= length ? { text: text.slice(0, length), rest: text.slice(length) } : undefined;
  }
  let body = '';
  let at = 0;
  for (;;) {
    const sizeEnd = text.indexOf('\r\n', at);
    if (sizeEnd === -1) return undefined;
    const size = Number.parseInt(text.slice(at, sizeEnd), 16);
    if (text.length < sizeEnd + 2 + size + 2) return undefined;
    if (size === 0) return { text: body, rest: text.slice(sizeEnd + 4) };
    body += text.slice(sizeEnd + 2, sizeEnd + 2 + size);
    at = sizeEnd + 2 + size + 2;
  }
}
