import { execFileSync } from 'node:child_process';
import { closeSync, fdatasyncSync, openSync, rmSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';

/** What the numbers were measured on. */
export function machineInfo() {
  const cpus = os.cpus();
  return {
    date: new Date().toISOString(),
    cores: cpus.length,
    cpuModel: cpus[0]?.model ?? 'unknown',
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    fsyncMs: fsyncLatencyMs(os.tmpdir()),
    loadAverageAtStart: os.loadavg().map((value) => Math.round(value * 100) / 100),
    code: codeVersion(),
    // tsx transforms with esbuild's keepNames, which costs CPU and memory per closure: say which ran.
    // and graphql-js checks its types more slowly outside NODE_ENV=production, as a deployment sets it.
    runtime: `${import.meta.url.endsWith('.js') ? 'compiled JavaScript (dist/, npm run build)' : 'TypeScript under tsx'}, NODE_ENV=${process.env.NODE_ENV ?? 'unset'}`,
  };
}

/** The commit measured, and which files under src/ differed from it (the numbers are for the working tree). */
function codeVersion(): { commit: string; uncommittedSrcFiles: string[] } | null {
  try {
    const git = (...args: string[]) => execFileSync('git', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    // Porcelain lines are `XY path`; X may be a space, so the output is not trimmed before slicing.
    const changed = git('status', '--porcelain', '--', 'src', 'migrations').split('\n').filter(Boolean);
    return { commit: git('rev-parse', 'HEAD').trim(), uncommittedSrcFiles: changed.map((line) => line.slice(3)) };
  } catch {
    return null;
  }
}

/**
 * Median time of an 8 KiB write + fdatasync in `directory` (the bench's Postgres lives under
 * the same temporary directory): the floor under every synchronous commit.
 */
function fsyncLatencyMs(directory: string, samples = 50): number {
  const file = path.join(directory, `threadline-bench-fsync-${process.pid}`);
  const fd = openSync(file, 'w');
  const block = Buffer.alloc(8192, 1);
  const times: number[] = [];
  try {
    for (let i = 0; i < samples; i++) {
      const started = performance.now();
      writeSync(fd, block, 0, block.length, i * block.length);
      fdatasyncSync(fd);
      times.push(performance.now() - started);
    }
  } finally {
    closeSync(fd);
    rmSync(file, { force: true });
  }
  times.sort((a, b) => a - b);
  return Math.round((times[Math.floor(times.length / 2)] as number) * 100) / 100;
}
