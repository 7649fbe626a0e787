import http from 'node:http';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import type { Thread } from '../../src/domain/thread.js';
import { maxOperationBytes } from '../../src/server/request-body-limit.js';
import { captureLog, type CapturedLog } from '../support/captured-log.js';
import { expectData } from '../support/expect-graphql.js';
import { seed } from '../support/seed.js';
import { newUserId, startTestApp, tokenFor, type TestApp } from '../support/test-app.js';
import { wsUrlOf } from '../support/ws-client.js';

const SEND = 'mutation($input: SendMessageInput!) { sendMessage(input: $input) { id content } }';
const LIMIT = maxOperationBytes(65_536);

interface RawAnswer {
  status: number;
  /** The Connection header, where the client exposes it. */
  connection?: string | undefined;
  body: { data?: unknown; errors?: Array<{ message: string; extensions?: { code?: string } }> };
}

// The README's Limits table: a request body over 1 MiB + 8 × MAX_MESSAGE_BYTES is refused with
// 413 REQUEST_ENTITY_TOO_LARGE, whether it declares its length or arrives in chunks, a graphql-ws
// message over it closes its socket (1009), and a message at the size limit fits even when
// every character of it is a JSON escape.
describe('the request body limit', () => {
  let app: TestApp;
  let user: string;
  let thread: Thread;
  let authorization: string;
  let captured: CapturedLog;

  beforeAll(async () => {
    captured = captureLog();
    app = await startTestApp({ log: captured.log });
    user = newUserId();
    thread = await seed(app.db).thread(user);
    authorization = `Bearer ${await tokenFor(user)}`;
  });
  afterAll(() => app.stop());

  const sendBody = (content: string) => JSON.stringify({ query: SEND, variables: { input: { threadId: thread.id, role: 'USER', content } } });
  /** A body padded with spaces after the JSON to `bytes` in all: still one valid request. */
  const paddedTo = (bytes: number) => {
    const body = sendBody('padded');
    return body + ' '.repeat(bytes - Buffer.byteLength(body));
  };

  /** POSTs `body` in chunks of 64 KiB with no Content-Length (Transfer-Encoding: chunked). */
  function postChunked(body: string, contentType = 'application/json'): Promise<RawAnswer> {
    return new Promise((resolve, reject) => {
      const request = http.request(app.url, { method: 'POST', headers: { 'content-type': contentType, authorization } }, (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (text += chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, connection: response.headers.connection, body: JSON.parse(text) }));
      });
      request.on('error', reject);
      for (let at = 0; at < body.length; at += 65_536) request.write(body.slice(at, at + 65_536));
      request.end();
    });
  }

  async function postDeclared(body: string): Promise<RawAnswer> {
    const response = await fetch(app.url, { method: 'POST', headers: { 'content-type': 'application/json', authorization }, body });
    return { status: response.status, body: await response.json() };
  }

  /** Read through the API, so a message only Redis holds yet is counted too. */
  async function messageCount(): Promise<number> {
    const data = expectData(await app.gql(user, 'query($id: ID!) { thread(id: $id) { messages(last: 100) { edges { node { id } } } } }', { id: thread.id }));
    return data.thread.messages.edges.length;
  }

  it.each([
    ['declared with Content-Length', postDeclared],
    ['sent in chunks without one', postChunked],
  ])('one byte over the limit, %s, is refused with 413 REQUEST_ENTITY_TOO_LARGE and writes nothing', async (_how, post) => {
    const before = await messageCount();
    const answer = await post(paddedTo(LIMIT + 1));
    expect(answer.status).toBe(413);
    expect(answer.body.errors).toMatchObject([{ message: 'Request body too large', extensions: { code: 'REQUEST_ENTITY_TOO_LARGE' } }]);
    expect(await messageCount()).toBe(before);
  });

  it('a chunked multipart request over the limit is refused with 400 BAD_REQUEST by the multipart parser, and writes nothing', async () => {
    const before = await messageCount();
    const boundary = 'threadline-limit-test';
    const field = (name: string, value: string) => `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;
    const multipart = (padding: number) => field('operations', sendBody('multipart') + ' '.repeat(padding)) + field('map', '{}') + `--${boundary}--\r\n`;
    const contentType = `multipart/form-data; boundary=${boundary}`;
    const answer = await postChunked(multipart(LIMIT), contentType);
    expect(answer.status).toBe(400);
    expect(answer.body.errors?.[0]?.extensions?.code).toBe('BAD_REQUEST');
    expect(await messageCount()).toBe(before);
    // The same request under the limit is served: the size is what was refused.
    const served = await postChunked(multipart(1_000), contentType);
    expect(served.body.data).toMatchObject({ sendMessage: { content: 'multipart' } });
    expect(await messageCount()).toBe(before + 1);
  });

  it.each([
    ['declared with Content-Length', postDeclared],
    ['sent in chunks without one', postChunked],
  ])('a body of exactly the limit, %s, is served', async (_how, post) => {
    const answer = await post(paddedTo(LIMIT));
    expect(answer.status).toBe(200);
    expect(answer.body.errors).toBeUndefined();
    expect(answer.body.data).toMatchObject({ sendMessage: { content: 'padded' } });
  });

  /** The status line Node answers to a POST declaring `contentLength`, sent byte for byte. */
  function statusLineFor(contentLength: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const { port } = new URL(app.url);
      const socket = net.connect(Number(port), '127.0.0.1', () =>
        socket.end(`POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${contentLength}\r\n\r\n{}`),
      );
      let answer = '';
      socket.on('data', (chunk) => (answer += chunk));
      socket.on('error', reject);
      socket.on('close', () => resolve(answer.split('\r\n')[0] ?? ''));
    });
  }

  it.each(['-1', '1, 2', 'abc'])('a Content-Length of %j is refused with 400 by the HTTP parser, before the limit is checked', async (contentLength) => {
    expect(await statusLineFor(contentLength)).toBe('HTTP/1.1 400 Bad Request');
  });

  /**
   * Streams a body declared (or, with `declared` null, sent chunked) as far larger than the limit,
   * 64 KiB at a time, until the server closes the connection; answers its response head and how
   * much was written. Gives up after `giveUpBytes`, so a server that keeps reading fails the test.
   */
  function streamOversizeBody(
    declared: string | null,
    request: { method?: string; path?: string; contentType?: string } = {},
    giveUpBytes = 256 * 1_048_576,
  ): Promise<{ head: string; written: number }> {
    const { method = 'POST', path = '/graphql', contentType = 'application/json' } = request;
    return new Promise((resolve, reject) => {
      const { port } = new URL(app.url);
      const framing = declared === null ? 'Transfer-Encoding: chunked' : `Content-Length: ${declared}`;
      const chunk = Buffer.alloc(65_536, 0x20);
      const frame = (bytes: Buffer) => (declared === null ? Buffer.concat([Buffer.from(`${bytes.length.toString(16)}\r\n`), bytes, Buffer.from('\r\n')]) : bytes);
      let answer = '';
      let written = 0;
      let closed = false;
      const socket = net.connect(Number(port), '127.0.0.1', () => {
        socket.write(`${method} ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: ${contentType}\r\nAuthorization: ${authorization}\r\n${framing}\r\n\r\n`);
        const pump = () => {
          while (!closed && written < giveUpBytes) {
            written += chunk.length;
            if (!socket.write(frame(chunk))) return void socket.once('drain', pump);
          }
          if (!closed) reject(new Error(`the server read ${written} bytes of a refused body without closing the connection`));
        };
        pump();
      });
      socket.on('data', (data) => (answer += data));
      // The server's close may reach this side as a reset while it is still writing.
      socket.on('error', () => {});
      socket.on('close', () => {
        closed = true;
        resolve({ head: answer.split('\r\n\r\n')[0] ?? '', written });
      });
    });
  }

  it.each([
    ['declared with a Content-Length of 10^12', '1000000000000'],
    ['sent in chunks', null],
  ])('a refused body, %s, streamed as fast as the socket takes it: the server closes the connection and stops reading it', async (_how, declared) => {
    const { head, written } = await streamOversizeBody(declared);
    expect(written).toBeLessThan(256 * 1_048_576);
    // A client that keeps writing and never reads may lose the answer to the reset that closing
    // with its unread bytes queued causes (TCP's doing); the tests below read it.
    if (head) expect(head.split('\r\n')[0]).toBe('HTTP/1.1 413 Payload Too Large');
  });

  it('a declared length over the limit is answered 413 with Connection: close before the body is sent', async () => {
    const { port } = new URL(app.url);
    const answer = await new Promise<string>((resolve) => {
      let text = '';
      const socket = net.connect(Number(port), '127.0.0.1', () =>
        socket.write(`POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nAuthorization: ${authorization}\r\nContent-Length: 1000000000000\r\n\r\n{`),
      );
      socket.on('data', (data) => (text += data));
      socket.on('error', () => {});
      socket.on('close', () => resolve(text));
    });
    expect(answer.split('\r\n')[0]).toBe('HTTP/1.1 413 Payload Too Large');
    expect(answer.toLowerCase()).toContain('connection: close');
  });

  it('a chunked body one byte over the limit is answered with Connection: close', async () => {
    const answer = await postChunked(paddedTo(LIMIT + 1));
    expect(answer.status).toBe(413);
    expect(answer.connection).toBe('close');
  });

  it.each([
    ['POST /health, declared as 10^12 bytes', '1000000000000', { path: '/health' }],
    ['POST to a path that does not exist, chunked', null, { path: '/nope' }],
    ['OPTIONS /graphql, declared as 10^12 bytes', '1000000000000', { method: 'OPTIONS' }],
    ['GET /graphql?query={__typename}, chunked', null, { method: 'GET', path: '/graphql?query=%7B__typename%7D' }],
    ['POST /graphql as text/plain, chunked', null, { contentType: 'text/plain' }],
  ] as const)('a body nobody reads, %s, is not read either: the connection closes after the answer', async (_how, declared, request) => {
    const { head, written } = await streamOversizeBody(declared, request);
    expect(written).toBeLessThan(256 * 1_048_576);
    // As above, a client that never reads may lose the answer itself to the reset.
    if (head) expect(head.toLowerCase()).toContain('connection: close');
  });

  it('a request pipelined behind a refused chunked body is not run: the connection closed with the refusal', async () => {
    const before = await messageCount();
    const oversize = paddedTo(LIMIT + 1);
    const pipelined = sendBody('pipelined after the refusal');
    const bytes = Buffer.concat([
      Buffer.from(`POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nAuthorization: ${authorization}\r\nTransfer-Encoding: chunked\r\n\r\n`),
      Buffer.from(`${Buffer.byteLength(oversize).toString(16)}\r\n${oversize}\r\n0\r\n\r\n`),
      Buffer.from(`POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nAuthorization: ${authorization}\r\nContent-Length: ${Buffer.byteLength(pipelined)}\r\n\r\n${pipelined}`),
    ]);
    const answer = await new Promise<string>((resolve) => {
      const { port } = new URL(app.url);
      let text = '';
      const socket = net.connect(Number(port), '127.0.0.1', () => socket.write(bytes));
      socket.on('data', (data) => (text += data));
      socket.on('error', () => {});
      socket.on('close', () => resolve(text));
    });
    // One answer at most: the refusal (which the reset of closing may swallow), never the pipelined request's.
    expect(answer.match(/^HTTP\/1\.1 /gm) ?? []).not.toHaveLength(2);
    if (answer) expect(answer.split('\r\n')[0]).toBe('HTTP/1.1 413 Payload Too Large');
    // Give a request that did run the time to be stored.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await messageCount()).toBe(before);
  });

  it('requests pipelined behind answers that keep the connection open are all answered, in order', async () => {
    const request = (content: string) => {
      const body = sendBody(content);
      return `POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nAuthorization: ${authorization}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
    };
    const answer = await new Promise<string>((resolve) => {
      const { port } = new URL(app.url);
      let text = '';
      const socket = net.connect(Number(port), '127.0.0.1', () => socket.write(request('one') + request('two') + request('three')));
      socket.on('data', (data) => {
        text += data;
        if ((text.match(/"sendMessage"/g) ?? []).length === 3) socket.end();
      });
      socket.on('close', () => resolve(text));
    });
    expect([...answer.matchAll(/"content":"(\w+)"/g)].map((match) => match[1])).toEqual(['one', 'two', 'three']);
  });

  it('a message at MAX_MESSAGE_BYTES written wholly in JSON escapes fits', async () => {
    const content = '\u0001'.repeat(65_536);
    const body = sendBody(content);
    expect(Buffer.byteLength(body)).toBeGreaterThan(6 * 65_536);
    const answer = await postDeclared(body);
    expect(answer.body.errors).toBeUndefined();
    expect(expectData(answer.body as never).sendMessage.content).toBe(content);
  });

  /** Sends one graphql-ws frame of `bytes` and answers the socket's close code. */
  function closeCodeAfterFrameOf(bytes: number): Promise<number> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(wsUrlOf(app.url), 'graphql-transport-ws');
      socket.on('error', () => {});
      socket.on('open', () => {
        const frame = JSON.stringify({ type: 'connection_init', payload: { authorization } });
        socket.send(frame + ' '.repeat(bytes - Buffer.byteLength(frame)));
      });
      socket.on('message', () => reject(new Error('the server answered a frame over the limit')));
      socket.on('close', (code) => resolve(code));
    });
  }

  it('a graphql-ws message one byte over the limit closes its socket with 1009 (message too big), logged as the client\'s', async () => {
    const stderr = vi.spyOn(console, 'error');
    try {
      expect(await closeCodeAfterFrameOf(LIMIT + 1)).toBe(1009);
      // graphql-ws would print "Internal error emitted on a WebSocket socket" for it.
      expect(stderr).not.toHaveBeenCalled();
    } finally {
      stderr.mockRestore();
    }
    await vi.waitFor(() => expect(captured.lines.some((line) => line.msg === 'socket closed on a client protocol error')).toBe(true));
    expect(captured.errors()).toEqual([]);
  });
});
