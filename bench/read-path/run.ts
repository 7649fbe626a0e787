// npm run bench:read-path [-- --rounds 5 --duration 10 --warmup 3 --connections 8 --out bench/results --name read-path]
// npm run bench:read-path -- --profile 'threads page (hot)'   (profiles one case instead; see profile.ts)
// npm run bench:read-path -- --cases 'viewer { id }' --name read-path-viewer --out /tmp   (only some cases)
//
// One process start: a private Postgres and redis-server, Threadline (buildApp, Redis hot tier)
// and the single-SQL floor (floor-server.ts) side by side in this process, and a load-generating
// child. Seeds hot and cold threads through Threadline's API, checks both servers give the same
// answers, then measures issue 9's read requests on both in alternating rounds.
import path from 'node:path';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { startBenchServer } from '../shared/bench-server.js';
import { startGraphqlLoadDriver } from '../shared/graphql-load-driver.js';
import { machineInfo } from '../shared/machine.js';
import { startBenchServices } from '../shared/services.js';
import { checkAnswers } from './answer-check.js';
import { startFloorServer } from './floor-server.js';
import { profileCase } from './profile.js';
import { writeReport } from './report.js';
import { benchCases, type BenchCase } from './requests.js';
import { runAlternatingRounds, type RoundSettings } from './rounds.js';
import { evictHotState, seedUserThroughApi, waitForPersisted, type DataShape } from './seed-data.js';

const { values: args } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    duration: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '3' },
    connections: { type: 'string', default: '8' },
    'max-minutes': { type: 'string', default: '30' },
    out: { type: 'string', default: 'bench/results' },
    /** Base name of the result files: <out>/<name>.json and .md. */
    name: { type: 'string', default: 'read-path' },
    /** A case name: profile Threadline on it (profile.ts) instead of measuring. */
    profile: { type: 'string' },
    /** Only these cases, comma-separated names (for a quick check of one change; write it under another --name). */
    cases: { type: 'string' },
  },
});
const settings: RoundSettings = {
  rounds: Number(args.rounds),
  durationSec: Number(args.duration),
  warmupSec: Number(args.warmup),
  connections: Number(args.connections),
  quiet: { maxOtherCores: 0.2, maxWaitMs: 60_000, maxOtherCoresDuringRun: 0.3, maxAttempts: 3 },
};
const shape: DataShape = { threads: 20, messagesPerThread: 30, runsPerThread: 2, contentChars: 120 };

const log = pino({ level: 'warn' });
const cleanups: Array<() => Promise<void>> = [];
let cleaning: Promise<void> | undefined;
function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    for (const step of cleanups.splice(0)) await step().catch((error) => console.error('cleanup step failed:', error));
  })();
  return cleaning;
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void cleanup().finally(() => process.exit(130)));
const watchdog = setTimeout(() => {
  console.error(`bench exceeded ${args['max-minutes']} minutes; stopping`);
  void cleanup().finally(() => process.exit(2));
}, Number(args['max-minutes']) * 60_000);

async function main(): Promise<void> {
  const machine = machineInfo();
  console.log(`machine: ${machine.cores} cores, ${machine.cpuModel}, node ${machine.node}`);
  const services = await startBenchServices(log);
  cleanups.unshift(services.stop);
  const threadline = await startBenchServer(services, log);
  cleanups.unshift(threadline.stop);
  const floor = await startFloorServer(services.databaseUrl);
  cleanups.unshift(floor.stop);
  const redis = threadline.app.tiers.redis;
  if (!redis || threadline.app.messageStore.degraded) throw new Error('Threadline is not on the Redis path');

  console.log('seeding through the API');
  const hot = await seedUserThroughApi(threadline.url, 'read-bench-hot', shape);
  const cold = await seedUserThroughApi(threadline.url, 'read-bench-cold', shape);
  const persistWaitMs = await waitForPersisted(threadline.app.db, 2 * shape.threads * shape.messagesPerThread, 120_000);
  const evictedKeys = await evictHotState(redis, cold.threadIds);
  console.log(`persisted in ${persistWaitMs} ms after seeding; removed ${evictedKeys} Redis keys of the cold threads`);

  const urls = { threadline: threadline.url, floor: floor.url };
  const cases = selectCases(benchCases({ hot, cold }), args.cases);
  const answers = [];
  for (const benchCase of cases) {
    const answer = await checkAnswers(benchCase, urls);
    console.log(`  ${benchCase.name}: Threadline ${answer.bytes.threadline.toFixed(0)} B, floor ${answer.bytes.floor.toFixed(0)} B, reads ${JSON.stringify(answer.threadlineReads)}`);
    answers.push(answer);
  }

  const driver = await startGraphqlLoadDriver();
  cleanups.unshift(driver.stop);
  console.log(`load client: pid ${driver.pid}; servers: pid ${process.pid}`);
  if (args.profile) {
    const benchCase = cases.find((c) => c.name === args.profile);
    if (!benchCase) throw new Error(`--profile: no case ${JSON.stringify(args.profile)}; cases: ${cases.map((c) => c.name).join(', ')}`);
    return profileCase(driver, threadline.url, benchCase, settings.durationSec, path.join('/tmp', `read-path-${benchCase.name.replace(/\W+/g, '-')}.cpuprofile`));
  }
  const results = await runAlternatingRounds(driver, urls, cases, settings);

  const written = await writeReport(path.resolve(String(args.out)), String(args.name), {
    machine,
    services: await services.settings(),
    settings: { ...settings, loadClient: 'autocannon 9 (programmatic) in a child process, bench/shared/graphql-load-client.ts' },
    data: { users: { hot: hot.userId, cold: cold.userId }, ...shape, evictedKeys, persistWaitMs },
    answers,
    cases: results,
  });
  console.log(`\nwrote ${written.json} and ${written.markdown}`);
  for (const { case: name, ratios } of results) {
    console.log(`  ${name.padEnd(22)} rps ratio ${ratios.requestsPerSec.toFixed(2)}×  p50 ratio ${ratios.p50.toFixed(2)}×`);
  }
}

function selectCases(cases: BenchCase[], names: string | undefined): BenchCase[] {
  if (!names) return cases;
  const wanted = names.split(',').map((name) => name.trim());
  const unknown = wanted.filter((name) => !cases.some((c) => c.name === name));
  if (unknown.length > 0) throw new Error(`--cases: no case ${JSON.stringify(unknown)}; cases: ${cases.map((c) => c.name).join(', ')}`);
  return cases.filter((c) => wanted.includes(c.name));
}

main()
  .then(() => cleanup())
  .then(() => clearTimeout(watchdog))
  .catch(async (error) => {
    console.error(error);
    await cleanup();
    clearTimeout(watchdog);
    process.exitCode = 1;
  });
