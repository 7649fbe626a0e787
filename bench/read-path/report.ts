import type { machineInfo } from '../shared/machine.js';
import { writeResultFiles } from '../shared/result-files.js';
import type { AnswerCheck } from './answer-check.js';
import type { CaseSummary, RoundSettings } from './rounds.js';

/** Everything the run measured; written as JSON and summarised as Markdown. */
export interface ReadPathReport {
  machine: ReturnType<typeof machineInfo>;
  services: { postgres: Record<string, string>; redis: Record<string, string> };
  settings: RoundSettings & Record<string, unknown>;
  data: Record<string, unknown>;
  answers: AnswerCheck[];
  cases: CaseSummary[];
}

export function writeReport(directory: string, name: string, report: ReadPathReport): Promise<{ json: string; markdown: string }> {
  return writeResultFiles(directory, name, report, renderMarkdown(report));
}

const CPU_PARTS = ['serverMain', 'serverThreads', 'redis', 'postgres'];
const ms = (value: number) => (value < 10 ? value.toFixed(2) : value.toFixed(1));
const times = (value: number) => `${value.toFixed(2)}×`;
const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;

function renderMarkdown(report: ReadPathReport): string {
  const { machine: m, settings: s } = report;
  const answers = new Map(report.answers.map((answer) => [answer.case, answer]));
  const lines = [
    '# Read path: Threadline against a single-SQL floor',
    '',
    `Measured ${m.date} on ${m.cores} cores (${m.cpuModel}), ${m.memoryGiB} GiB, ${m.platform}, node ${m.node}, ${m.runtime};` +
      ` commit ${m.code?.commit ?? 'unknown'}${m.code?.uncommittedSrcFiles.length ? ` with uncommitted changes in ${m.code.uncommittedSrcFiles.join(', ')}` : ''}.`,
    `Postgres ${report.services.postgres.server_version}, Redis ${report.services.redis.redis_version}, both at their defaults.`,
    `Settings: ${s.rounds} rounds × ${s.durationSec} s per case per server after a ${s.warmupSec} s warm-up, ${s.connections} connections (autocannon in a child process).`,
    `Data: ${JSON.stringify(report.data)}.`,
    '',
    '| request | answer (Threadline / floor) | Threadline rps | floor rps | rps ratio | Threadline p50 / p99 ms | floor p50 / p99 ms | p50 ratio |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...report.cases.map(({ case: name, medians: { threadline: t, floor: f }, ratios }) => {
      const answer = answers.get(name);
      const size = answer ? `${kb(answer.bytes.threadline)} / ${kb(answer.bytes.floor)}` : '';
      return `| ${name} | ${size} | ${t.requestsPerSec.toFixed(0)} | ${f.requestsPerSec.toFixed(0)} | **${times(ratios.requestsPerSec)}** | ${ms(t.p50Ms)} / ${ms(t.p99Ms)} | ${ms(f.p50Ms)} / ${ms(f.p99Ms)} | **${times(ratios.p50)}** |`;
    }),
    '',
    '## CPU per request (ms), by component',
    '',
    `| request | server | ${CPU_PARTS.join(' | ')} |`,
    `| --- | --- | ${CPU_PARTS.map(() => '---:').join(' | ')} |`,
    ...report.cases.flatMap(({ case: name, medians }) =>
      (['threadline', 'floor'] as const).map(
        (server) => `| ${name} | ${server} | ${CPU_PARTS.map((part) => ms(medians[server].cpuMsPerRequest[part] ?? Number.NaN)).join(' | ')} |`,
      ),
    ),
    '',
    '## How to read this',
    '',
    '- **Threadline** is the server as `main.ts` builds it (buildApp, Redis hot tier, persister in process). **The floor** is a bare',
    '  graphql-yoga in the same process, on its own port, with a schema of the same type and field names, whose resolvers answer',
    '  each page with one SQL statement (LATERAL joins, `json_agg` / `json_build_object`, the shape PostGraphile and Hasura compile',
    '  to) over the same Postgres rows, through a `pg` pool. Both verify the same Bearer JWT with Threadline\'s own `verifyBearerToken`.',
    '- **hot**: threads written through Threadline\'s API, held in the Redis windows (every read a window hit, checked on',
    '  `threadline_message_reads_total`). **cold**: the same shape for another user whose Redis hot state was deleted, so',
    '  Threadline reads Postgres (checked the same way). The floor reads Postgres in both.',
    '- Ratios are Threadline ÷ floor of the medians over rounds: an rps ratio below 1 or a p50 ratio above 1 means Threadline is',
    '  slower than the floor. Issue 9\'s targets: pages rps ≥ 1.0× and p50 ≤ 1.0× hot, ≥ 0.8× cold; `viewer` ≥ 0.9×.',
    '- The answer sizes come from one request of each kind to each server before the rounds (they must agree within 10%, name',
    '  the same rows, and carry data and no errors; so must every response during the rounds, or the run fails).',
    '- CPU per request is cores used during a run ÷ requests per second. serverMain is this process\'s event loop (both servers',
    '  live here, but only one is loaded at a time), serverThreads its other threads (GC, libuv, embedded chDB); Threadline\'s',
    '  background workers (persister, archiver) run during the floor\'s runs too.',
    '- Runs disturbed by other processes on this shared machine were re-run (bench/shared/quiet-runs.ts); per-run figures,',
    '  attempts and other processes\' CPU are in the JSON.',
    '',
  ];
  return lines.join('\n');
}
