import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * The real server as its own process, the way `npm start` runs it (src/main.ts, loaded with
 * tsx so that no build step is needed first), for tests that signal or kill it. Its JSON log
 * lines are collected; the environment is exactly what the test gives, plus PATH and HOME.
 */
export interface ServerProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  /** Every log line so far, parsed (lines that are not JSON are kept as `{ msg }`). */
  readonly logs: LogLine[];
  /** Resolves once the process has exited. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** The first log line that `matches`, waiting for it up to `timeoutMs`; rejects early if the process exits first. */
  waitForLog(matches: (line: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
  /** The exit, waiting for it up to `timeoutMs`; rejects (with the output) if it still runs then. */
  waitForExit(timeoutMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** All output so far, for failure messages. */
  output(): string;
}

export type LogLine = { level?: number; msg?: string; [key: string]: unknown };

const repository = fileURLToPath(new URL('../../', import.meta.url));

export function spawnServer(env: Record<string, string>): ServerProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: repository,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: LogLine[] = [];
  const raw: string[] = [];
  const waiters = new Set<() => void>();
  let pending = '';
  const collect = (chunk: Buffer) => {
    raw.push(chunk.toString());
    pending += chunk.toString();
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines.filter((text) => text.trim().length > 0)) logs.push(parseLine(line));
    for (const wake of waiters) wake();
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      resolve({ code, signal });
      for (const wake of waiters) wake();
    });
  });
  const output = () => raw.join('');

  function waitForLog(matches: (line: LogLine) => boolean, timeoutMs = 60_000): Promise<LogLine> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const found = logs.find(matches);
        if (found) return finish(() => resolve(found));
        if (child.exitCode !== null || child.signalCode !== null) {
          finish(() => reject(new Error(`server exited (${child.exitCode ?? child.signalCode}) before the awaited log line:\n${output()}`)));
        }
      };
      const timer = setTimeout(() => finish(() => reject(new Error(`awaited log line not seen within ${timeoutMs} ms:\n${output()}`))), timeoutMs);
      const finish = (settle: () => void) => {
        clearTimeout(timer);
        waiters.delete(check);
        settle();
      };
      waiters.add(check);
      check();
    });
  }

  async function waitForExit(timeoutMs = 30_000) {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`server still running ${timeoutMs} ms later:\n${output()}`)), timeoutMs);
    });
    try {
      return await Promise.race([exited, late]);
    } finally {
      clearTimeout(timer);
    }
  }

  return { child, pid: child.pid as number, logs, exited, waitForLog, waitForExit, output };
}

/** Spawns the server and resolves once it is listening; rejects with its output if it exits instead. */
export async function startServer(env: Record<string, string>, timeoutMs = 120_000): Promise<ServerProcess> {
  const server = spawnServer(env);
  await server.waitForLog((line) => line.msg === 'Threadline is listening', timeoutMs);
  return server;
}

/** SIGTERM, then waits for the exit (SIGKILL after `timeoutMs`, so a test never leaves it behind). */
export async function stopServer(server: ServerProcess | undefined, timeoutMs = 60_000) {
  if (!server || server.child.exitCode !== null || server.child.signalCode !== null) return server?.exited;
  server.child.kill('SIGTERM');
  const timer = setTimeout(() => server.child.kill('SIGKILL'), timeoutMs);
  const result = await server.exited;
  clearTimeout(timer);
  return result;
}

function parseLine(line: string): LogLine {
  try {
    const parsed = JSON.parse(line) as unknown;
    return parsed && typeof parsed === 'object' ? (parsed as LogLine) : { msg: line };
  } catch {
    return { msg: line };
  }
}
