import { refusal } from './clickhouse-exception.js';

/**
 * Query parameters arrive as ClickHouse's HTTP interface takes them: `param_<name>` holding the
 * value's text in the Escaped format (what `@clickhouse/client`'s formatQueryParams writes).
 * chDB binds parameters server-side as well (queryBindAsync: the engine parses each value for its
 * `{name:Type}` placeholder and nothing is spliced into the SQL), but it takes the value itself
 * and escapes a string on the way in. So a scalar's text is unescaped here and chDB escapes it
 * back: the engine parses the same value a server would have.
 *
 * A composite value (Array, Map, Tuple) is a literal the engine parses with its own quoting
 * inside; unescaping it would break that quoting, so it goes through as sent. That is exact
 * unless it holds a backslash, which chDB would double: such a value is refused as
 * NOT_IMPLEMENTED rather than bound wrong. Nothing Threadline sends has one.
 */
export function chdbQueryParameters(sql: string, sent: ReadonlyMap<string, string>): Record<string, string | null> {
  const types = placeholderTypes(sql);
  const bound: Record<string, string | null> = {};
  for (const [name, text] of sent) {
    const declared = types.get(name) ?? [];
    if (declared.some(isCompositeType)) {
      if (text.includes('\\')) {
        throw refusal('notImplemented', `This test server cannot pass the ${declared.join('/')} value of query parameter '${name}' to chDB unchanged: it holds a backslash`);
      }
      bound[name] = text;
    } else {
      bound[name] = text === '\\N' ? null : unescapeScalar(text, name);
    }
  }
  return bound;
}

/** The declared types of each `{name:Type}` placeholder in the statement. */
function placeholderTypes(sql: string): Map<string, string[]> {
  const types = new Map<string, string[]>();
  for (const [, name, type] of sql.matchAll(/\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*:\s*([^{}]+?)\s*\}/g)) {
    types.set(name as string, [...(types.get(name as string) ?? []), type as string]);
  }
  return types;
}

function isCompositeType(type: string): boolean {
  return /^(?:(?:Nullable|LowCardinality)\s*\(\s*)*(?:Array|Map|Tuple|Nested)\b/i.test(type);
}

// ClickHouse's parseEscapeSequence: these letters stand for control characters, any other
// character after a backslash stands for itself.
const ESCAPED_CHARACTERS: Record<string, number> = { a: 0x07, b: 0x08, e: 0x1b, f: 0x0c, n: 0x0a, r: 0x0d, t: 0x09, v: 0x0b, '0': 0x00 };

/**
 * The value an Escaped-format text stands for, by ClickHouse's readEscapedString rules: `\xHH` is
 * a byte, `\N` inside a value is nothing, a raw tab or newline ends the field (so a server
 * refuses the parameter as not parsed completely).
 */
function unescapeScalar(text: string, name: string): string {
  if (/[\t\n]/.test(text)) {
    throw refusal('badQueryParameter', `Value ${JSON.stringify(text)} cannot be parsed for query parameter '${name}' because it isn't parsed completely`);
  }
  const input = Buffer.from(text, 'utf8');
  const output: number[] = [];
  for (let i = 0; i < input.length; i++) {
    const byte = input[i] as number;
    if (byte !== 0x5c) {
      output.push(byte);
      continue;
    }
    const next = input[++i];
    if (next === undefined) throw refusal('cannotParseEscapeSequence', `Cannot parse escape sequence at the end of query parameter '${name}'`);
    const escaped = String.fromCharCode(next);
    if (escaped === 'x' && /^[0-9a-fA-F]{2}$/.test(input.subarray(i + 1, i + 3).toString('latin1'))) {
      output.push(Number.parseInt(input.subarray(i + 1, i + 3).toString('latin1'), 16));
      i += 2;
    } else if (escaped !== 'N') {
      output.push(ESCAPED_CHARACTERS[escaped] ?? next);
    }
  }
  return decodeUtf8(Buffer.from(output), name);
}

/** chDB takes parameters as JavaScript strings: bytes that are not UTF-8 cannot be passed on. */
function decodeUtf8(bytes: Buffer, name: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw refusal('notImplemented', `This test server cannot pass query parameter '${name}' to chDB: its bytes are not UTF-8`);
  }
}
