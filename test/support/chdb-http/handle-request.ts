import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import { exceptionResponse, refusal } from './clickhouse-exception.js';
import { assertDefaultUser, parseClickHouseRequest } from './parse-request.js';
import { runOnChdb } from './run-on-chdb.js';

/** The codecs node:zlib has on Node 20 (zstd came in 22.15); ClickHouse also speaks others. */
const CODECS = {
  gzip: { decompress: () => zlib.createGunzip(), compress: zlib.gzipSync },
  deflate: { decompress: () => zlib.createInflate(), compress: zlib.deflateSync },
  br: { decompress: () => zlib.createBrotliDecompress(), compress: zlib.brotliCompressSync },
} as const;
type Codec = keyof typeof CODECS;
const isCodec = (name: string): name is Codec => Object.hasOwn(CODECS, name);

/**
 * ClickHouse's HTTP interface as far as `@clickhouse/client` uses it: `/ping`, and a statement
 * at `/` (in the URL's `query`, the body, or both joined), answered with its output or with
 * ClickHouse's exception text, status and `X-ClickHouse-Exception-Code`. Not sent: the
 * X-ClickHouse-Summary/-Format/-Timezone headers (the client treats them as optional).
 */
export function createRequestHandler(dataPath: string, serverVersion: string) {
  return async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    response.on('error', () => undefined); // a client that gave up (its timeout) is not our failure
    const url = new URL(request.url ?? '/', 'http://localhost');
    if (url.pathname === '/ping' || (url.pathname === '/' && request.method === 'GET' && !url.searchParams.has('query'))) {
      response.writeHead(200, { 'content-type': 'text/plain; charset=UTF-8' }).end('Ok.\n');
      return;
    }
    if (url.pathname !== '/') {
      response.writeHead(404, { 'content-type': 'text/plain; charset=UTF-8' }).end(`There is no handle ${url.pathname}\n`);
      return;
    }
    let queryId = url.searchParams.get('query_id') || randomUUID();
    try {
      assertDefaultUser(url, request.headers);
      const body = await readBody(request);
      const statement = parseClickHouseRequest(request.method ?? 'POST', url, body, () => queryId);
      queryId = statement.queryId;
      const output = Buffer.from(await runOnChdb(dataPath, statement));
      const codec = statement.settings.get('enable_http_compression') === '1' ? acceptedCodec(request.headers['accept-encoding']) : undefined;
      const headers = { 'content-type': 'text/plain; charset=UTF-8', 'x-clickhouse-query-id': queryId, ...(codec ? { 'content-encoding': codec } : {}) };
      response.writeHead(200, headers).end(codec ? CODECS[codec].compress(output) : output);
    } catch (error) {
      const answer = exceptionResponse(error, serverVersion);
      response
        .writeHead(answer.status, { 'content-type': 'text/plain; charset=UTF-8', 'x-clickhouse-query-id': queryId, 'x-clickhouse-exception-code': String(answer.code) })
        .end(answer.body);
    }
  };
}

/** The request body, decompressed by its Content-Encoding as a server does. */
async function readBody(request: IncomingMessage): Promise<string> {
  const encoding = String(request.headers['content-encoding'] ?? 'identity').toLowerCase();
  const chunks: Buffer[] = [];
  const collect = async (source: AsyncIterable<Buffer>) => {
    for await (const chunk of source) chunks.push(chunk);
  };
  if (encoding === 'identity') await pipeline(request, collect);
  else if (isCodec(encoding)) await pipeline(request, CODECS[encoding].decompress(), collect);
  else throw refusal('notImplemented', `This test server cannot decompress a request body of Content-Encoding ${encoding}`);
  return Buffer.concat(chunks).toString('utf8');
}

/** The first codec of the client's Accept-Encoding that this server has. */
function acceptedCodec(accepted: string | undefined): Codec | undefined {
  const names = String(accepted ?? '').split(',').map((name) => name.split(';')[0]?.trim().toLowerCase() ?? '');
  return names.find(isCodec);
}
