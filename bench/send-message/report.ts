import type { RoundsResult } from './rounds.js';
import { round } from '../shared/stats.js';
import { writeResultFiles } from '../shared/result-files.js';
import type { RedisFloor } from './redis-floor.js';

const CPU_PARTS = ['serverMain', 'serverThreads', 'redis', 'postgres', 'loadClient'];
const PATH_LABELS = {
  FAST: 'FAST',
  NAIVE: 'NAIVE',
  FLOOR: 'floor: `{ viewer { id } }`',
  FAST_PARTS: 'FAST, 5 parts (text, reasoning, tool call, tool result, file)',
} as const;

/** Everything the run measured; written as JSON and summarised as Markdown tables. */
export interface BenchReport {
  machine: ReturnType<typeof import('../shared/machine.js').machineInfo>;
  services: { postgres: Record<string, string>; redis: Record<string, string> };
  settings: Record<string, unknown> & { connections: number[]; threads: number; contentBytes: number; rounds: number; durationSec: number; warmupSec: number; archive: string };
  sendMessage: RoundsResult;
  redisFloor: RedisFloor | null;
  persister: {
    medians: Record<string, number>;
    ratios: Record<string, number>;
    settings: { batchSize: number; perRowConcurrency: number };
  };
  saturation: { runs: Array<{ connections: number; requestsPerSec: number }>; requestsPerSec: number };
  persistLag: {
    targetRate: number;
    achievedRate: number;
    direct: { lagMs: { p50: number; p99: number; max: number }; messages: number; pollMs: number };
    histogram: { p99EstimateSec: number; p99BucketUpperBoundSec: number };
    load: { latencyMs: { p50: number; p99: number } };
  };
  verification: Record<string, unknown>;
  targets: Record<string, { target: string; actual: number; met: boolean }>;
}

export function writeReport(directory: string, name: string, report: BenchReport): Promise<{ json: string; markdown: string }> {
  return writeResultFiles(directory, name, report, renderMarkdown(report));
}

const ms = (value: number) => (value < 10 ? value.toFixed(2) : value.toFixed(1));
const times = (value: number) => `${value.toFixed(2)}×`;

export function renderMarkdown(report: BenchReport): string {
  const { machine: m, settings: s, services } = report;
  const pg = services.postgres;
  const lag = report.persistLag;
  const p = report.persister;
  const contended = report.sendMessage.rounds.filter((r) => r.contended).length;
  return `# bench/send-message

${m.date.slice(0, 10)} · ${m.cores} cores (${m.cpuModel}) · Node ${m.node} · Postgres ${pg.server_version} · Redis ${services.redis.redis_version} · fsync ${m.fsyncMs} ms (8 KiB + fdatasync) · commit ${m.code?.commit.slice(0, 7) ?? '?'}${m.code?.uncommittedSrcFiles.length ? ` + ${m.code.uncommittedSrcFiles.length} uncommitted src files` : ''} · ${m.runtime}

Postgres at its defaults: synchronous_commit=${pg.synchronous_commit}, fsync=${pg.fsync}, wal_sync_method=${pg.wal_sync_method}, shared_buffers=${pg.shared_buffers}, commit_delay=${pg.commit_delay}.
Redis: appendonly=${services.redis.appendonly}, appendfsync=${services.redis.appendfsync}. Both servers: buildApp, pool 10; FAST runs the persister${s.archive === 'embedded' ? ' and the archiver (embedded chDB)' : ' (archiver off: ClickHouse unreachable)'} in process.
Load: autocannon in a child process, closed loop, ${s.threads} threads with one user each, ${s.contentBytes}-byte messages; ${s.rounds} rounds of ${s.durationSec} s per path and level (FAST then NAIVE), after warm-up. Medians across rounds.${contended ? ` ${contended} round(s) ran while other processes used CPU.` : ''}

## sendMessage: FAST (Redis, then ack) vs NAIVE (Postgres commit, then ack)

The floor row is \`{ viewer { id } }\` on the same server: HTTP, JWT check, GraphQL, no storage. No storage path can answer faster than it.
The five-part message is measured twice: in runs of its own (its p50 over the text runs' p50), and in runs that send text and
five parts in turn on every connection (the two kinds' p50 in the same run, so the host's drift between runs stays out of the
ratio; each request there also shares the background work the other kind left, which pulls the two toward each other).

| connections | path | p50 ms | p99 ms | requests/s | CPU ms/request (server main thread + other threads, Redis, Postgres) | server event-loop delay p99 / max ms |
| ---: | --- | ---: | ---: | ---: | --- | --- |
${report.sendMessage.levels
  .flatMap((level) => [
    ...(['FAST', 'NAIVE', 'FLOOR', 'FAST_PARTS'] as const).map((path) => {
      const x = level.medians[path];
      const c = x.cpuMsPerRequest;
      const d = x.eventLoopDelayMs;
      return `| ${level.connections} | ${PATH_LABELS[path]} | ${ms(x.p50Ms)} | ${ms(x.p99Ms)} | ${Math.round(x.requestsPerSec)} | ${CPU_PARTS.slice(0, 4).map((part) => (c[part] ?? Number.NaN).toFixed(2)).join(' + ')} | ${ms(d.p99 ?? Number.NaN)} / ${ms(d.max ?? Number.NaN)} |`;
    }),
    `| ${level.connections} | **FAST/NAIVE** | **${times(level.ratios.p50)}** | **${times(level.ratios.p99)}** | ${times(level.ratios.requestsPerSec)} | | |`,
    `| ${level.connections} | **FAST 5 parts / FAST text** | **${times(level.ratios.partsOverTextP50)}** | | | | |`,
    `| ${level.connections} | FAST, text and 5 parts in turn in one run: text, 5 parts | ${ms(level.alternating.textP50Ms)}, ${ms(level.alternating.partsP50Ms)} | | | | |`,
    `| ${level.connections} | **5 parts / text, in turn in one run** | **${times(level.ratios.partsOverTextP50Alternating)}** | | | | |`,
    `| ${level.connections} | FAST − floor | ${ms(level.ratios.fastMinusFloorP50Ms)} | | | | |`,
  ])
  .join('\n')}

Per round, p50 / p99 ms (others' CPU in cores during the run):

| round | ${report.sendMessage.levels.map((l) => `FAST c${l.connections} | NAIVE c${l.connections} | floor c${l.connections} | 5 parts c${l.connections} | in turn c${l.connections}: text, 5 parts p50`).join(' | ')} |
| ---: | ${report.sendMessage.levels.map(() => '--- | --- | --- | --- | ---').join(' | ')} |
${report.sendMessage.rounds
  .map((r, i) => `| ${r.round} | ${report.sendMessage.levels.map((l) => {
    const x = l.perRound[i]!;
    const inTurn = x.FAST_ALTERNATING;
    return [
      ...(['FAST', 'NAIVE', 'FLOOR', 'FAST_PARTS'] as const).map((path) => `${ms(x[path].p50Ms)} / ${ms(x[path].p99Ms)} (${x[path].otherCores ?? '?'})`),
      `${ms(inTurn.text)}, ${ms(inTurn.parts)} (${inTurn.otherCores ?? '?'})`,
    ].join(' | ');
  }).join(' | ')} |`)
  .join('\n')}

${report.redisFloor ? renderRedisFloor(report.redisFloor) : ''}## Persister: rows/s into Postgres (same rows, same database)

| writer | rows/s |
| --- | ---: |
| insertMessageRecords, ${p.settings.batchSize}-row batches | ${Math.round(p.medians.batched ?? Number.NaN)} |
| the whole persister draining a stream (XREADGROUP → insert → XACK) | ${Math.round(p.medians.persisterDrain ?? Number.NaN)} |
| one single-row statement per commit, sequential | ${Math.round(p.medians.perRow ?? Number.NaN)} |
| one single-row statement per commit, ${p.settings.perRowConcurrency} concurrent | ${Math.round(p.medians.perRowConcurrent ?? Number.NaN)} |

Batched / one per commit: **${times(p.ratios.batchedOverPerRow ?? Number.NaN)}** (whole persister: ${times(p.ratios.persisterDrainOverPerRow ?? Number.NaN)}; against ${p.settings.perRowConcurrency} concurrent single-row writers: ${times(p.ratios.batchedOverPerRowConcurrent ?? Number.NaN)}).

## Ack-to-Postgres lag at half of saturation

FAST saturation ${Math.round(report.saturation.requestsPerSec)} requests/s (best of ${report.saturation.runs.map((r) => `${r.connections} conns: ${Math.round(r.requestsPerSec)}`).join(', ')}).
Driven at ${lag.targetRate} requests/s with autocannon overallRate (achieved ${Math.round(lag.achievedRate)}; sendMessage p50 ${ms(lag.load.latencyMs.p50)} ms, p99 ${ms(lag.load.latencyMs.p99)} ms).

| lag, ack → committed in Postgres | p50 | p99 | max |
| --- | ---: | ---: | ---: |
| measured: ack times from the client, Postgres polled every ${lag.direct.pollMs} ms (${lag.direct.messages} messages) | ${Math.round(lag.direct.lagMs.p50)} ms | **${Math.round(lag.direct.lagMs.p99)} ms** | ${Math.round(lag.direct.lagMs.max)} ms |
| threadline_persist_lag_seconds histogram | | ≈ ${Math.round(lag.histogram.p99EstimateSec * 1000)} ms (bucket ≤ ${lag.histogram.p99BucketUpperBoundSec} s) | |

Check after the persister drained (Postgres holds every acked message, none beyond those sent, gap-free seq per thread): ${Object.entries(report.verification).map(([key, v]) => `${key} ${JSON.stringify(v)}`).join('; ')}

## Targets (issues 3, 9 and 10)

| target | actual | |
| --- | ---: | --- |
${Object.entries(report.targets).map(([name, v]) => `| ${name}: ${v.target} | ${round(v.actual, 3)} | ${v.met ? 'met' : '**not met**'} |`).join('\n')}
`;
}

/** The Redis part of a FAST ack alone, beside FAST − floor: what no server-side work can take back. */
function renderRedisFloor(floor: RedisFloor): string {
  return `## The Redis part of a FAST ack alone (1 connection)

A FAST send acks only once Redis has run its script, so it waits for one round trip to Redis and for the script inside it;
the floor query waits for neither. Measured on the FAST server's own Redis connection:

| | ms |
| --- | ---: |
| PING round trip p50, ${floor.ping.samples} sequential PINGs at rest (loopback, client, event loop; nothing done in Redis) | ${floor.ping.p50Ms.toFixed(3)} |
| Redis's time in scripts per send (INFO commandstats over a ${floor.scripts.sends}-send FAST text run: ${floor.scripts.calls} EVALSHA, the send script once per send and the workers' watermark script once per batch) | ${floor.scripts.msPerSend.toFixed(3)} |
| **the Redis part of a FAST ack: FAST − floor cannot be much lower** | **${floor.sumMs.toFixed(3)}** |

`;
}
