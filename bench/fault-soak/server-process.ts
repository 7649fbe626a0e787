import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../src/config.js';

export interface ServerProcess {
  pid: number;
  /** The GraphQL endpoint. */
  url: string;
  /** The server's own address for /ready and /metrics. */
  origin: string;
  /** SIGTERM (the server drains and stops), SIGKILL 15 s later; resolves once it exited. */
  stop(): Promise<void>;
}

/**
 * Threadline as a deployment runs it: `node dist/src/main.js` in a process of its own, configured
 * only by its environment (REDIS_URL and DATABASE_URL pointing at the soak's servers). The
 * environment is checked with the server's own config parser first, so a mistake here fails at
 * once rather than as a server that never answers. Its log goes to `logFile`.
 */
export async function startServerProcess(env: Record<string, string>, logFile: string): Promise<ServerProcess> {
  const config = loadConfig(env);
  const child = spawn(process.execPath, ['--enable-source-maps', compiledMain()], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const log = createWriteStream(logFile);
  child.stdout.pipe(log);
  child.stderr.pipe(log);
  const origin = `http://${config.http.host}:${config.http.port}`;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const force = setTimeout(() => child.kill('SIGKILL'), 15_000);
    child.kill('SIGTERM');
    await exited;
    clearTimeout(force);
  };
  try {
    await waitForHealth(origin, exited, 120_000);
  } catch (error) {
    await stop();
    throw new Error(`${(error as Error).message}; see ${logFile}`);
  }
  return { pid: child.pid as number, url: `${origin}/graphql`, origin, stop };
}

/** The server compiled by `npm run build`, whether the soak itself runs from dist/ or under tsx. */
function compiledMain(): string {
  const compiled = import.meta.url.endsWith('.js');
  return fileURLToPath(new URL(compiled ? '../../src/main.js' : '../../dist/src/main.js', import.meta.url));
}

async function waitForHealth(origin: string, exited: Promise<void>, timeoutMs: number): Promise<void> {
  let gone = false;
  void exited.then(() => (gone = true));
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (gone) throw new Error('the server exited during start-up');
    const healthy = await fetch(`${origin}/health`).then((response) => response.ok, () => false);
    if (healthy) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`the server did not answer /health within ${timeoutMs} ms`);
}
