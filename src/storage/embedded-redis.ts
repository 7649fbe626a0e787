import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { createConnection } from 'node:net';
import path from 'node:path';
import type { Logger } from 'pino';

export interface EmbeddedRedisOptions {
  directory: string;
  port: number;
  /** AOF fsync policy; what a crash of the machine can lose (see README). */
  appendFsync: 'always' | 'everysec' | 'no';
  log: Logger;
}

export interface RunningRedis {
  url: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

/** The file redis-server writes its PID into, in its directory: how a later start finds it if it was orphaned. */
export const REDIS_PID_FILE = 'redis-server.pid';

/**
 * The redis-server on the `PATH`, if there is one. The PATH only, as the README and `npm run
 * setup` say: the setup step and the server then agree on whether Redis is installed.
 * (A process-level fact rather than configuration, hence read here and not in config.ts.)
 */
export function findRedisServer(): string | undefined {
  const dirs = (process.env.PATH ?? '').split(path.delimiter).filter((dir) => dir.length > 0);
  return dirs.map((dir) => path.join(dir, 'redis-server')).find((file) => existsSync(file));
}

/**
 * A private redis-server with AOF on, its data under `directory`, listening on loopback only.
 * Resolves once it accepts connections.
 */
export async function startEmbeddedRedis(binary: string, options: EmbeddedRedisOptions): Promise<RunningRedis> {
  const directory = path.resolve(options.directory);
  await mkdir(directory, { recursive: true });
  // Otherwise a leftover server on the port would be adopted silently, and never stopped.
  if (await isListening(options.port)) {
    throw new Error(`Port ${options.port} is already in use (a leftover redis-server?); stop it or set EMBEDDED_REDIS_PORT`);
  }
  const child = spawn(
    binary,
    [
      '--port', String(options.port),
      '--bind', '127.0.0.1',
      '--dir', directory,
      '--pidfile', path.join(directory, REDIS_PID_FILE),
      '--appendonly', 'yes',
      '--appendfsync', options.appendFsync,
      '--save', '',
      '--daemonize', 'no',
      '--loglevel', 'warning',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const output: string[] = [];
  const collect = (chunk: Buffer) => output.push(chunk.toString());
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  await waitUntilListening(child, options.port, output);
  options.log.info({ port: options.port, directory, appendfsync: options.appendFsync }, 'embedded redis-server started');
  return {
    url: `redis://127.0.0.1:${options.port}`,
    process: child,
    stop: () => stopProcess(child),
  };
}

function isListening(port: number): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const socket = createConnection({ port, host: '127.0.0.1' }, () => {
      socket.end();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
}

async function waitUntilListening(child: ChildProcess, port: number, output: string[]): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`redis-server exited (${child.exitCode}): ${output.join('').slice(-500)}`);
    if (await isListening(port)) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  child.kill('SIGKILL');
  throw new Error(`redis-server did not start listening on ${port}: ${output.join('').slice(-500)}`);
}

function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    // SIGTERM makes redis-server flush the AOF before exiting.
    child.kill('SIGTERM');
  });
}
