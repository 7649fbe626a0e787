import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { waitFor } from './stored-messages.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** What `npm run worker` runs (compiled there; through tsx here, so tests need no build). */
export const WORKER_ENTRY = 'src/workers/worker-cli.ts';

export interface LogLine {
  level: number;
  msg: string;
  [field: string]: unknown;
}

export interface WorkerProcess {
  readonly child: ChildProcess;
  /** Every JSON log line the worker has written so far. */
  readonly logs: LogLine[];
  /** Waits for a log line that matches. */
  waitForLog(what: string, matches: (line: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
  /** Resolves with the exit code once the process has ended. */
  exited(): Promise<number | null>;
  /** SIGTERM, then waits for the exit; resolves with the exit code. */
  stop(): Promise<number | null>;
}

/** Starts the real worker entry point with these arguments and environment (over the tests' own; undefined removes a variable). */
export function startWorkerProcess(args: readonly string[], env: Record<string, string | undefined>): WorkerProcess {
  const merged = Object.entries({ ...process.env, LOG_LEVEL: 'info', ...env }).filter((entry): entry is [string, string] => entry[1] !== undefined);
  const child = spawn(process.execPath, ['--import', 'tsx', WORKER_ENTRY, ...args], {
    cwd: REPO,
    env: Object.fromEntries(merged),
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const logs: LogLine[] = [];
  createInterface({ input: child.stdout! }).on('line', (line) => {
    try {
      logs.push(JSON.parse(line) as LogLine);
    } catch {
      logs.push({ level: 30, msg: line });
    }
  });
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    logs,
    waitForLog: (what, matches, timeoutMs = 30_000) => waitFor(what, async () => logs.find(matches), timeoutMs),
    exited: () => exit,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exit;
    },
  };
}
