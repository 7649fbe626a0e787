import pino, { type Logger } from 'pino';

export interface CapturedLog {
  log: Logger;
  /** Every line logged so far, parsed. */
  lines: Array<Record<string, unknown> & { level: number; msg?: string }>;
  /** Lines at error level or above (pino: error 50, fatal 60). */
  errors(): CapturedLog['lines'];
}

/** A real pino logger that keeps its JSON lines in memory, so a test can see what the server logged and at which level. */
export function captureLog(level = 'debug'): CapturedLog {
  const lines: CapturedLog['lines'] = [];
  const log = pino({ level }, { write: (line: string) => void lines.push(JSON.parse(line)) });
  return { log, lines, errors: () => lines.filter((line) => line.level >= 50) };
}
