import { refusal } from './clickhouse-exception.js';

/** One statement as ClickHouse's HTTP interface received it, ready to run. */
export interface ClickHouseHttpRequest {
  /** The URL's `query` and the body joined by a newline (an INSERT's rows follow its FORMAT), else the body. */
  sql: string;
  /** `param_<name>` values, as sent (Escaped-format text). */
  params: Map<string, string>;
  /** Every URL parameter that is not one of the interface's own: ClickHouse settings for this query. */
  settings: Map<string, string>;
  database: string | undefined;
  /** Output format of a statement without a FORMAT clause. ClickHouse's default: TabSeparated. */
  defaultFormat: string;
  queryId: string;
  /** GET requests are read-only (readonly=2), as on a ClickHouse server. */
  readonly: boolean;
}

/** URL parameters the HTTP interface reads itself rather than passing on as settings. */
const INTERFACE_PARAMETERS = new Set(['query', 'query_id', 'database', 'default_format', 'user', 'password', 'wait_end_of_query', 'buffer_size', 'compress', 'decompress', 'stacktrace']);
/** Interface parameters for features this test server does not have; refused, never ignored. */
const UNSUPPORTED_PARAMETERS = new Set(['session_id', 'session_timeout', 'session_check', 'close_session', 'role', 'quota_key']);

export function parseClickHouseRequest(method: string, url: URL, body: string, newQueryId: () => string): ClickHouseHttpRequest {
  const params = new Map<string, string>();
  const settings = new Map<string, string>();
  for (const [name, value] of url.searchParams) {
    if (name.startsWith('param_')) params.set(name.slice('param_'.length), value);
    else if (UNSUPPORTED_PARAMETERS.has(name)) throw refusal('notImplemented', `This test server has no support for the '${name}' parameter`);
    else if (!INTERFACE_PARAMETERS.has(name)) settings.set(name, value);
  }
  const inUrl = url.searchParams.get('query');
  const sql = inUrl === null ? body : body.length > 0 ? `${inUrl}\n${body}` : inUrl;
  if (sql.trim() === '') throw refusal('syntaxError', 'Empty query');
  return {
    sql,
    params,
    settings,
    database: url.searchParams.get('database') ?? undefined,
    defaultFormat: url.searchParams.get('default_format') ?? 'TabSeparated',
    queryId: url.searchParams.get('query_id') || newQueryId(),
    readonly: method === 'GET' || method === 'HEAD',
  };
}

/**
 * This server has ClickHouse's stock user: `default`, without a password. The client sends it as
 * Basic auth; ClickHouse also takes X-ClickHouse-User/-Key headers and user/password URL parameters.
 */
export function assertDefaultUser(url: URL, headers: Record<string, string | string[] | undefined>): void {
  const basic = /^Basic (.+)$/i.exec(String(headers.authorization ?? ''));
  const [basicUser, basicPassword] = basic ? Buffer.from(basic[1] as string, 'base64').toString('utf8').split(/:(.*)/s) : [];
  const user = basicUser ?? header(headers, 'x-clickhouse-user') ?? url.searchParams.get('user') ?? 'default';
  const password = basicPassword ?? header(headers, 'x-clickhouse-key') ?? url.searchParams.get('password') ?? '';
  if (user !== 'default' || password !== '') {
    throw refusal('authenticationFailed', `${user}: Authentication failed: password is incorrect, or there is no user with such name`);
  }
}

function header(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}
