import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { claimDataDir } from '../../src/data-dir/claim-data-dir.js';
import { DataDirInUseError } from '../../src/data-dir/owner-file.js';
import { isRunning, processStart } from '../../src/data-dir/process-inspection.js';
import { findRedisServer, startEmbeddedRedis } from '../../src/storage/embedded-redis.js';
import { freePort } from '../support/free-port.js';

// claimDataDir signals only processes it has identified as this directory's orphaned servers.
// Real processes stand in for what a PID file can name: a stranger that was given a dead
// server's PID, a live owner, a server still held by its live parent.

const log = pino({ level: 'silent' });
const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

async function tempDataDir() {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'threadline-claim-'));
  cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
  return dataDir;
}

/** A live process that is neither Postgres nor Redis nor a Threadline owner. */
function stranger(): ChildProcess {
  const child = spawn('sleep', ['600'], { stdio: 'ignore' });
  cleanups.push(async () => void child.kill('SIGKILL'));
  return child;
}

async function writeOwnerFile(dataDir: string, owner: { pid: number; started: string | null }) {
  await writeFile(path.join(dataDir, 'threadline.pid'), JSON.stringify({ ...owner, command: 'node dist/src/main.js' }));
}

describe('claimDataDir', () => {
  it('takes over an owner file whose PID now belongs to another process, and signals nothing', async () => {
    const dataDir = await tempDataDir();
    const sleeper = stranger();
    await writeOwnerFile(dataDir, { pid: sleeper.pid!, started: 'another-boot:12345' });
    const claim = await claimDataDir(dataDir, log);
    await claim.release();
    expect(isRunning(sleeper.pid!)).toBe(true);
  });

  it('refuses when the owner is alive, and leaves it running', async () => {
    const dataDir = await tempDataDir();
    const owner = stranger();
    await writeOwnerFile(dataDir, { pid: owner.pid!, started: processStart(owner.pid!) ?? null });
    const claim = claimDataDir(dataDir, log);
    await expect(claim).rejects.toBeInstanceOf(DataDirInUseError);
    await expect(claim).rejects.toThrow(`DATA_DIR ${dataDir} is in use by a running Threadline process (pid ${owner.pid}`);
    expect(isRunning(owner.pid!)).toBe(true);
  });

  it('leaves alone a process named by postmaster.pid or redis-server.pid that is not that directory’s server', async () => {
    const dataDir = await tempDataDir();
    const sleeper = stranger();
    for (const [directory, file] of [['postgres', 'postmaster.pid'], ['redis', 'redis-server.pid']] as const) {
      await mkdir(path.join(dataDir, directory), { recursive: true });
      await writeFile(path.join(dataDir, directory, file), `${sleeper.pid}\n`);
    }
    const claim = await claimDataDir(dataDir, log);
    await claim.release();
    expect(isRunning(sleeper.pid!)).toBe(true);
  });

  it('refuses to stop a redis-server whose parent, a Node.js process, is alive', async () => {
    const dataDir = await tempDataDir();
    const binary = findRedisServer();
    if (!binary) throw new Error('needs redis-server on the PATH');
    // Started by this test process, as a running server (too old to write an owner file) would have.
    const redis = await startEmbeddedRedis(binary, { directory: path.join(dataDir, 'redis'), port: await freePort(), appendFsync: 'no', log });
    cleanups.push(() => redis.stop());
    await expect(claimDataDir(dataDir, log)).rejects.toThrow(`started by a live Node.js process (pid ${process.pid})`);
    expect(isRunning(redis.process.pid!)).toBe(true);
  });
});
