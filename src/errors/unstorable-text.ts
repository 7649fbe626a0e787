/**
 * Postgres refuses one character that GraphQL and JSON strings may carry: NUL (U+0000), in a
 * text column (SQLSTATE 22021, "invalid byte sequence") or inside jsonb (22P05, "unsupported
 * Unicode escape sequence"). Every string we store comes from the client, so such a failure is
 * a bad request rather than a server fault; the raw database message never reaches the client.
 */
const UNSTORABLE_TEXT_SQLSTATES: ReadonlySet<string> = new Set(['22021', '22P05']);

export const UNSTORABLE_TEXT_MESSAGE = 'Text must not contain the NUL character (U+0000)';

export function isUnstorableTextError(error: unknown): boolean {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  return typeof code === 'string' && UNSTORABLE_TEXT_SQLSTATES.has(code);
}
