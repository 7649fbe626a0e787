import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * A bench's load lives in a child process so that it does not share the measured server's event
 * loop. Benches run compiled (dist/, npm run build) or as TypeScript under tsx; the child runs
 * the same way as its parent. Parent and child speak over IPC: the child says
 * `{ ready: true }` once, then answers every command with one reply.
 */
export interface BenchChild<Reply> {
  pid: number;
  /** The next message from the child; rejects after `timeoutMs` of silence or when the child exits. */
  nextReply(timeoutMs: number): Promise<Reply | { ready: true }>;
  send(message: unknown): void;
  /** SIGTERM, then SIGKILL 5 s later; resolves once it exited. */
  stop(): Promise<void>;
}

/** The module `name` beside `parentUrl` (a caller's import.meta.url), with the caller's own extension. */
export function siblingModule(parentUrl: string, name: string): URL {
  return new URL(`./${name}${path.extname(fileURLToPath(parentUrl))}`, parentUrl);
}

/** Forks `file` (under tsx when it is TypeScript) and waits (30 s at most) for its `ready`. `label` names it in errors. */
export async function forkChild<Reply>(file: URL, label: string, options: { args?: string[]; nodeOptions?: string[] } = {}): Promise<BenchChild<Reply>> {
  const typescript = file.pathname.endsWith('.ts');
  const child = fork(file, options.args ?? [], {
    execArgv: [...(typescript ? ['--import', 'tsx'] : []), ...(options.nodeOptions ?? [])],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const handle: BenchChild<Reply> = {
    pid: child.pid as number,
    nextReply: (timeoutMs) => nextReply(child, label, timeoutMs),
    send: (message) => child.send(message as object),
    stop: () => stopChild(child),
  };
  await handle.nextReply(30_000).catch(async (error) => {
    await handle.stop();
    throw error;
  });
  return handle;
}

/** A child that answers each command with `{ ok: true, result }` or `{ ok: false, error }`. */
export interface CommandChild<Command extends { cmd: string }> {
  pid: number;
  /** Runs one command in the child; rejects after `timeoutMs` without an answer, or with the child's error. */
  run<T>(command: Command, timeoutMs: number): Promise<T>;
  stop(): Promise<void>;
}

type CommandReply = { ready: true } | { ok: true; result: unknown } | { ok: false; error: string };

/** forkChild, for a child that speaks in commands and replies (the load processes of the benches). */
export async function startCommandChild<Command extends { cmd: string }>(
  file: URL,
  label: string,
  options: { args?: string[]; nodeOptions?: string[] } = {},
): Promise<CommandChild<Command>> {
  const child = await forkChild<CommandReply>(file, label, options);
  return {
    pid: child.pid,
    async run<T>(command: Command, timeoutMs: number) {
      child.send(command);
      const reply = await child.nextReply(timeoutMs);
      if ('ready' in reply) throw new Error(`${label} answered out of turn`);
      if (!reply.ok) throw new Error(`${label} failed on ${command.cmd}: ${reply.error}`);
      return reply.result as T;
    },
    stop: child.stop,
  };
}

function nextReply<Reply>(child: ChildProcess, label: string, timeoutMs: number): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => finish(() => reject(new Error(`${label} silent for ${timeoutMs} ms`))), timeoutMs);
    const onMessage = (message: Reply) => finish(() => resolve(message));
    const onExit = (code: number | null, signal: string | null) =>
      finish(() => reject(new Error(`${label} exited (code ${code}, signal ${signal})`)));
    function finish(settle: () => void) {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
      settle();
    }
    child.on('message', onMessage);
    child.on('exit', onExit);
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill('SIGKILL'), 5_000);
    child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    if (child.connected) child.disconnect();
    child.kill('SIGTERM');
  });
}
