import { fork, type ChildProcess } from 'node:child_process';

/**
 * A bench's load lives in a child process (a TypeScript file run under tsx) so that it does not
 * share the measured server's event loop. Parent and child speak over IPC: the child says
 * `{ ready: true }` once, then answers every command with one reply.
 */
export interface TsxChild<Reply> {
  pid: number;
  /** The next message from the child; rejects after `timeoutMs` of silence or when the child exits. */
  nextReply(timeoutMs: number): Promise<Reply | { ready: true }>;
  send(message: unknown): void;
  /** SIGTERM, then SIGKILL 5 s later; resolves once it exited. */
  stop(): Promise<void>;
}

/** Forks `file` under tsx and waits (30 s at most) for its `ready`. `label` names it in errors. */
export async function forkTsxChild<Reply>(file: URL, label: string, options: { args?: string[]; nodeOptions?: string[] } = {}): Promise<TsxChild<Reply>> {
  const child = fork(file, options.args ?? [], {
    execArgv: ['--import', 'tsx', ...(options.nodeOptions ?? [])],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const handle: TsxChild<Reply> = {
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
