// npm run bench:leak [-- --connections 1000 --rounds 10 --out bench/results]
//
// The subscription leak test at the full size (1,000 connections × 3 subscriptions, ended
// in every way, 10 rounds), which takes too long for the test suite (it runs 200 connections).
// It runs test/integration/realtime-leak.test.ts itself against the test services, so the checks
// are exactly the test's; this script adds the size, a time bound and a report of the heap.
import { spawn } from 'node:child_process';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { machineInfo } from '../shared/machine.js';

const { values: args } = parseArgs({
  options: {
    connections: { type: 'string', default: '1000' },
    rounds: { type: 'string', default: '10' },
    'max-minutes': { type: 'string', default: '15' },
    out: { type: 'string', default: 'bench/results' },
  },
});

interface LeakResults {
  connections: number;
  subscriptionsPerConnection: number;
  rounds: number;
  endings: string[];
  heapUsedBytes: number[];
  roundMs: number[];
}

async function runLeakTest(resultsFile: string): Promise<number> {
  const child = spawn('npx', ['vitest', 'run', '--project', 'integration', 'test/integration/realtime-leak.test.ts'], {
    stdio: 'inherit',
    env: { ...process.env, LEAK_CONNECTIONS: String(args.connections), LEAK_ROUNDS: String(args.rounds), LEAK_RESULTS: resultsFile },
  });
  const limit = setTimeout(() => child.kill('SIGTERM'), Number(args['max-minutes']) * 60_000);
  const code = await new Promise<number>((resolve) => child.once('exit', (exit) => resolve(exit ?? 1)));
  clearTimeout(limit);
  return code;
}

async function main(): Promise<void> {
  const machine = machineInfo();
  const resultsFile = path.join(os.tmpdir(), `threadline-leak-${process.pid}.json`);
  const started = Date.now();
  const code = await runLeakTest(resultsFile);
  if (code !== 0) throw new Error(`the leak test failed (exit ${code}); see its output above`);
  const results = JSON.parse(await readFile(resultsFile, 'utf8')) as LeakResults;
  await rm(resultsFile, { force: true });
  const mb = (bytes: number) => Math.round((bytes / 2 ** 20) * 10) / 10;
  const heapMb = results.heapUsedBytes.map(mb);
  const growthFromRound3Mb = mb((results.heapUsedBytes.at(-1) ?? 0) - (results.heapUsedBytes[2] ?? 0));
  const report = { machine, durationSec: Math.round((Date.now() - started) / 1000), ...results, heapUsedMb: heapMb, growthFromRound3Mb };
  await mkdir(String(args.out), { recursive: true });
  await writeFile(path.join(String(args.out), 'leak.json'), `${JSON.stringify(report, null, 2)}\n`);
  const markdown = [
    '# Subscription leak test, full size',
    '',
    `Measured ${machine.date} on ${machine.cores} cores (${machine.cpuModel}), Node ${machine.node}: ${results.connections} connections`,
    `× ${results.subscriptionsPerConnection} subscriptions per round, ${results.rounds} rounds, ended by: ${results.endings.join(', ')}.`,
    'After every round the registry, the Redis channels (PUBSUB NUMSUB), the open sockets and the three gauges',
    'on /metrics were 0 (the test fails otherwise). Heap used after a full GC, per round (MB, test process, which',
    'holds both the server and the clients):',
    '',
    heapMb.join(' · '),
    '',
    `Growth from round 3 to the last: ${growthFromRound3Mb} MB. Round time: ${results.roundMs.map((ms) => (ms / 1000).toFixed(1)).join(' · ')} s.`,
    '',
  ].join('\n');
  await writeFile(path.join(String(args.out), 'leak.md'), markdown);
  console.log(markdown);
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
