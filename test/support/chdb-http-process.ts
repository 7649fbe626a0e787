import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { freePort } from './free-port.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const MAIN = 'test/support/chdb-http/main.ts';
/** chDB maps a whole ClickHouse into the process: a cold start on a busy machine takes seconds. */
const START_TIMEOUT_MS = 60_000;

export interface ChdbHttp {
  /** What CLICKHOUSE_URL is set to. */
  readonly url: string;
  /** SIGKILL: ClickHouse is gone at once, as in a crash; connections are refused until start(). */
  kill(): Promise<void>;
  /** Starts it again on the same port and data path: what was inserted before is there. */
  start(): Promise<void>;
  /** Stops it and deletes its data. */
  dispose(): Promise<void>;
}

/**
 * A ClickHouse reachable over HTTP, served from chDB by a process of its own
 * (test/support/chdb-http/main.ts) on a free loopback port, with its own data directory.
 */
export async function startChdbHttp(): Promise<ChdbHttp> {
  const dataPath = await mkdtemp(path.join(os.tmpdir(), 'threadline-chdb-http-'));
  const port = await freePort();
  let child = await spawnServer(dataPath, port);
  const kill = () => stopChild(child, 'SIGKILL');
  return {
    url: `http://127.0.0.1:${port}`,
    kill,
    async start() {
      if (child.exitCode === null && child.signalCode === null) throw new Error('the chDB HTTP server is already running');
      child = await spawnServer(dataPath, port);
    },
    async dispose() {
      await stopChild(child, 'SIGTERM');
      await rm(dataPath, { recursive: true, force: true });
    },
  };
}

async function spawnServer(dataPath: string, port: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, dataPath, String(port)], { cwd: REPO, stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! });
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the chDB HTTP server did not start within ${START_TIMEOUT_MS} ms`)), START_TIMEOUT_MS);
      lines.on('line', (line) => line.includes('"listening"') && (clearTimeout(timer), resolve()));
      child.once('exit', (code, signal) => (clearTimeout(timer), reject(new Error(`the chDB HTTP server exited (${signal ?? code}) before listening`))));
    });
  } catch (error) {
    await stopChild(child, 'SIGKILL');
    throw error;
  }
  lines.close();
  child.stdout!.resume();
  return child;
}

async function stopChild(child: ChildProcess, signal: 'SIGTERM' | 'SIGKILL'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.kill(signal);
  });
}
