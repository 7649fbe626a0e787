import { Session } from 'chdb';
import { refusal } from './clickhouse-exception.js';
import type { ClickHouseHttpRequest } from './parse-request.js';
import { chdbQueryParameters } from './query-parameters.js';

/**
 * Where a ClickHouse server's defaults differ from chDB's (clickhouse-local's): a server quotes
 * 64-bit integers in JSON output, chDB does not. Threadline's client must cope with the server.
 */
const SERVER_DEFAULTS = ['--output_format_json_quote_64bit_integers=1'];

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Runs one request in a chDB session of its own, as a ClickHouse server runs each HTTP query in
 * a context of its own: the URL's settings apply to that query only, and requests run side by
 * side (one chDB session runs its queries one at a time). Sessions share the process's data path.
 */
export async function runOnChdb(dataPath: string, request: ClickHouseHttpRequest): Promise<Uint8Array> {
  const session = new Session(dataPath, { connectionArgs: SERVER_DEFAULTS });
  try {
    if (request.readonly) await applySetting(session, 'readonly', '2');
    for (const [name, value] of request.settings) await applySetting(session, name, value);
    if (request.database !== undefined && request.database !== 'default') {
      if (!IDENTIFIER.test(request.database)) throw refusal('unknownDatabase', `Database ${request.database} does not exist`);
      await session.queryAsync(`USE ${request.database}`);
    }
    const params = chdbQueryParameters(request.sql, request.params);
    const options = { format: request.defaultFormat };
    const result = Object.keys(params).length > 0 ? await session.queryBindAsync(request.sql, params, options) : await session.queryAsync(request.sql, options);
    return result.bytes();
  } finally {
    session.close();
  }
}

/**
 * One URL setting for this session. The value is bound as a query parameter, so the engine
 * converts and checks it for the setting's type (a bad value is the engine's error, as on a
 * server); only the name enters the statement, and only when it is a plain identifier.
 */
async function applySetting(session: Session, name: string, value: string): Promise<void> {
  if (!IDENTIFIER.test(name)) throw refusal('unknownSetting', `Unknown setting '${name}'`);
  await session.queryBindAsync(`SET ${name} = {value:String}`, { value });
}
