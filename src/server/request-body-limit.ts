import { GraphQLError } from 'graphql';
import type { FetchAPI, Plugin } from 'graphql-yoga';

/**
 * The largest operation taken, as an HTTP request body or a graphql-ws message: room for a
 * message at MAX_MESSAGE_BYTES written wholly in JSON escapes (`\u0001` is six bytes for one),
 * its metadata and the rest of the operation.
 */
export function maxOperationBytes(maxMessageBytes: number): number {
  return 1_048_576 + 8 * maxMessageBytes;
}

// Answered before the body was read, the refusal closes the connection (http-connection-guard.ts).
const tooLarge = () => new GraphQLError('Request body too large', { extensions: { code: 'REQUEST_ENTITY_TOO_LARGE', http: { status: 413 } } });

/**
 * Yoga's own body limit (turned off in graphql-handler.ts) pipes every body through a
 * TransformStream to count its bytes, and Node's stream pipeline then aborts an AbortSignal,
 * building a DOMException with its stack, once per request: a quarter of a trivial query's CPU.
 * A declared Content-Length needs none of it, as Node's HTTP parser hands over exactly that many
 * bytes (and answers 400 itself to one that is not a single non-negative integer, before any
 * plugin runs); only a body without one (chunked) is counted as it arrives.
 */
export function useRequestBodyLimit(limitBytes: number): Plugin {
  return {
    onRequestParse({ request, requestParser, setRequestParser, fetchAPI }) {
      const declared = request.headers.get('content-length');
      if (declared !== null) {
        if (Number(declared) > limitBytes) throw tooLarge();
        return;
      }
      if (requestParser == null || request.body == null) return;
      const parse = requestParser;
      setRequestParser((unbounded) => parse(withCountedBody(unbounded, limitBytes, fetchAPI)));
    },
  };
}

/**
 * The request with a body that errors with 413 once more than `limitBytes` have arrived. A
 * native body stream takes the native TransformStream, whatwg-node's its own (as in yoga).
 */
function withCountedBody(request: Request, limitBytes: number, fetchAPI: FetchAPI): Request {
  let bytesRead = 0;
  const Transform = request.body instanceof ReadableStream ? globalThis.TransformStream : fetchAPI.TransformStream;
  const counted = request.body!.pipeThrough(
    new Transform<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        bytesRead += chunk.byteLength;
        if (bytesRead > limitBytes) controller.error(tooLarge());
        else controller.enqueue(chunk);
      },
    }),
  );
  return new fetchAPI.Request(request.url, { method: request.method, headers: request.headers, signal: request.signal, body: counted, duplex: 'half' } as RequestInit);
}
