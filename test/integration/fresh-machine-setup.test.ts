import { execFile } from 'node:child_process';
import { chmod, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { pathWithout } from '../support/path-without.js';

// What a fresh machine without redis-server sees, simulated by a PATH that lacks it (and lacks
// the means to install it): nothing is uninstalled here, nothing is faked.
const run = promisify(execFile);
const repository = path.resolve(import.meta.dirname, '../..');
const scratch: string[] = [];

afterEach(async () => {
  for (const dir of scratch.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function tempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  scratch.push(dir);
  return dir;
}

/** Runs a command to its end and returns its exit code and output, failing or not. */
async function outcome(file: string, args: string[], env: NodeJS.ProcessEnv) {
  try {
    const { stdout, stderr } = await run(file, args, { cwd: repository, env });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

/** Command lines of every process on the machine that mention `needle`. */
async function processesMentioning(needle: string): Promise<string[]> {
  const pids = (await readdir('/proc')).filter((entry) => /^\d+$/.test(entry));
  const lines = await Promise.all(
    pids.map((pid) => readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')),
  );
  return lines.map((line) => line.replaceAll('\0', ' ')).filter((line) => line.includes(needle));
}

describe('a machine without redis-server', () => {
  it('npm run setup says what to run and exits non-zero when it cannot install redis-server', async () => {
    const bin = await pathWithout(await tempDir('threadline-path-'), ['redis-server', 'apt-get', 'sudo']);
    const result = await outcome('bash', ['scripts/setup.sh'], { ...process.env, PATH: bin });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('redis-server (Redis 7) is not on the PATH');
    expect(result.stderr).toContain('then run: npm run setup');
    expect(result.stdout).not.toContain('npm ci');
  });

  it('a failing integration global setup leaves no Postgres running and no files behind', async () => {
    const bin = await pathWithout(await tempDir('threadline-path-'), ['redis-server']);
    const tmp = await tempDir('threadline-setup-tmp-');
    // A TMPDIR like /tmp: as root the embedded Postgres runs as `postgres` and reads files from it.
    await chmod(tmp, 0o1777);
    const env: NodeJS.ProcessEnv = { ...process.env, PATH: bin, TMPDIR: tmp };
    delete env.TEST_DATABASE_URL;
    delete env.TEST_REDIS_URL;
    const script = "const { default: setup } = await import('./test/integration/global-setup.ts'); await setup({ provide() {} });";
    const result = await outcome(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], env);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('Integration tests need redis-server on the PATH');
    expect(await processesMentioning(tmp)).toEqual([]);
    // Only what global setup makes (tsx keeps its compile cache in TMPDIR too).
    const left = (await readdir(tmp)).filter((name) => name.startsWith('threadline-'));
    expect(left).toEqual([]);
  });
});
