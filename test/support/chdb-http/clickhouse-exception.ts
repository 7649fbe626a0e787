/**
 * A refusal of this test server's own, worded as ClickHouse words its exceptions, so the client
 * parses it exactly as it parses one raised by the engine (`Code: N. DB::Exception: … (NAME)`).
 */
export class ClickHouseException extends Error {
  constructor(
    readonly code: number,
    readonly codeName: string,
    detail: string,
  ) {
    super(`Code: ${code}. DB::Exception: ${detail}. (${codeName})`);
    this.name = 'ClickHouseException';
  }
}

/** The codes this server raises itself; the engine raises the rest. */
export const OWN_CODES = {
  cannotParseEscapeSequence: [25, 'CANNOT_PARSE_ESCAPE_SEQUENCE'],
  notImplemented: [48, 'NOT_IMPLEMENTED'],
  syntaxError: [62, 'SYNTAX_ERROR'],
  unknownDatabase: [81, 'UNKNOWN_DATABASE'],
  unknownSetting: [115, 'UNKNOWN_SETTING'],
  badQueryParameter: [457, 'BAD_QUERY_PARAMETER'],
  authenticationFailed: [516, 'AUTHENTICATION_FAILED'],
  stdException: [1001, 'STD_EXCEPTION'],
} as const satisfies Record<string, readonly [number, string]>;

export function refusal(kind: keyof typeof OWN_CODES, detail: string): ClickHouseException {
  const [code, name] = OWN_CODES[kind];
  return new ClickHouseException(code, name, detail);
}

// After ClickHouse's src/Server/HTTP/exceptionCodeToHTTPStatus.cpp (less the IP-parsing and
// media-type codes, which nothing here can raise); every other code answers 500. The client reads the code from the body and header, not the status, but a
// proxy or a human reading logs sees the status, so it follows the server.
const STATUS_BY_CODE = new Map<number, number>([
  [194, 401], // REQUIRED_PASSWORD
  ...[192, 193, 497, 512, 516].map((code) => [code, 403] as [number, number]), // UNKNOWN_USER, WRONG_PASSWORD, ACCESS_DENIED, SET_NON_GRANTED_ROLE, AUTHENTICATION_FAILED
  // BAD_ARGUMENTS, CANNOT_COMPILE_REGEXP, CANNOT_PARSE_*, DUPLICATE_COLUMN, ILLEGAL_COLUMN, THERE_IS_NO_COLUMN,
  // UNKNOWN_ELEMENT_IN_AST, UNKNOWN_TYPE_OF_AST_NODE, TOO_DEEP_AST, TOO_BIG_AST, UNEXPECTED_AST_STRUCTURE,
  // SYNTAX_ERROR, INCORRECT_DATA, TYPE_MISMATCH, VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE
  ...[36, 427, 6, 25, 26, 38, 41, 72, 441, 27, 376, 15, 44, 8, 37, 123, 167, 168, 223, 62, 117, 53, 321].map((code) => [code, 400] as [number, number]),
  // UNKNOWN_TABLE, UNKNOWN_FUNCTION, UNKNOWN_IDENTIFIER, UNKNOWN_TYPE, UNKNOWN_STORAGE, UNKNOWN_DATABASE, UNKNOWN_SETTING,
  // UNKNOWN_DIRECTION_OF_SORTING, UNKNOWN_AGGREGATE_FUNCTION, UNKNOWN_FORMAT, UNKNOWN_DATABASE_ENGINE, UNKNOWN_TYPE_OF_QUERY, UNKNOWN_ROLE
  ...[60, 46, 47, 50, 56, 81, 115, 152, 63, 73, 336, 78, 511].map((code) => [code, 404] as [number, number]),
  [229, 413], // QUERY_IS_TOO_LARGE
  [48, 501], // NOT_IMPLEMENTED
  [209, 503], // SOCKET_TIMEOUT
  [76, 503], // CANNOT_OPEN_FILE
  [439, 503], // CANNOT_SCHEDULE_TASK
  [381, 411], // HTTP_LENGTH_REQUIRED
  [159, 408], // TIMEOUT_EXCEEDED
]);

export interface ExceptionResponse {
  status: number;
  code: number;
  body: string;
}

/**
 * Any failure as the HTTP answer a ClickHouse server gives: the status for its code, the
 * `X-ClickHouse-Exception-Code` the client checks, and the message with the server's version.
 * chDB's errors already carry ClickHouse's message and code; anything else (a failure of this
 * server itself) is a STD_EXCEPTION, as ClickHouse reports a C++ exception it did not expect.
 */
export function exceptionResponse(error: unknown, serverVersion: string): ExceptionResponse {
  const message = error instanceof Error ? error.message : String(error);
  const parsed = /^Code: (\d+)\. /.exec(message);
  const code = parsed ? Number(parsed[1]) : OWN_CODES.stdException[0];
  const text = parsed ? message : `Code: ${code}. DB::Exception: ${message}. (${OWN_CODES.stdException[1]})`;
  return { status: STATUS_BY_CODE.get(code) ?? 500, code, body: `${text} (version ${serverVersion})\n` };
}
