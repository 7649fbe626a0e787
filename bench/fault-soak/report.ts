import type { machineInfo } from '../shared/machine.js';
import type { ExecutedStep } from './fault-schedule.js';
import type { Readiness } from './readiness-monitor.js';
import type { RecoveryCheck } from './recovery-check.js';
import type { ServerLogSummary } from './server-log.js';
import type { StoredCheck } from './stored-check.js';
import type { StreamState } from './stream-state.js';
import type { TimelineBucket } from './timeline.js';
import { writeResultFiles } from '../shared/result-files.js';

/** Everything the soak saw; written as JSON and summarised as Markdown. */
export interface FaultSoakReport {
  machine: ReturnType<typeof machineInfo>;
  services: { postgres: string; redis: Record<string, string> };
  settings: { durationSec: number; clients: number; threads: number; contentBytes: number; recoveryBoundSec: number; requestTimeoutMs: number };
  schedule: ExecutedStep[];
  load: { acked: number; hot: number; durable: number; failedAttempts: number; failureKinds: Record<string, number>; retriedMessages: number; givenUp: number };
  timeline: TimelineBucket[];
  readiness: Readiness[];
  serverLog: ServerLogSummary;
  drain: { waitedSec: number; storedAcks: number };
  deadLetters: number;
  streamAtEnd: StreamState;
  stored: StoredCheck;
  recovery: RecoveryCheck;
  ok: boolean;
}

export function writeReport(directory: string, name: string, report: FaultSoakReport): Promise<{ json: string; markdown: string }> {
  return writeResultFiles(directory, name, report, renderMarkdown(report));
}

const verdict = (ok: boolean) => (ok ? '**pass**' : '**FAIL**');
const sec = (value: number | null) => (value === null ? 'never' : `${value.toFixed(1)} s`);
const list = (values: readonly string[]) => (values.length ? `${values.length} (${values.slice(0, 3).join(', ')}${values.length > 3 ? ', …' : ''})` : '0');

function renderMarkdown(r: FaultSoakReport): string {
  const m = r.machine;
  const s = r.stored;
  return `# bench/fault-soak

${m.date.slice(0, 10)} · ${m.cores} cores (${m.cpuModel}), shared with other work (load average at start ${m.loadAverageAtStart.join(' ')}) · Node ${m.node} · Postgres ${r.services.postgres} · Redis ${r.services.redis.redis_version} (appendonly=${r.services.redis.appendonly}, appendfsync=${r.services.redis.appendfsync}) · commit ${m.code?.commit.slice(0, 7) ?? '?'}${m.code?.uncommittedSrcFiles.length ? ` + ${m.code.uncommittedSrcFiles.length} uncommitted src files` : ''}

The server runs as a deployment runs it: \`node dist/src/main.js\` in its own process with \`REDIS_URL\` and \`DATABASE_URL\` pointing at a separate \`redis-server\` and a Postgres server (distribution binaries, defaults), persister and archiver (embedded chDB) in process. ${r.settings.clients} clients send \`sendMessage\` (FAST, ${r.settings.contentBytes} bytes) to ${r.settings.threads} threads for ${r.settings.durationSec} s, one request at a time each, and retry every failure with the same \`clientMessageId\` until it is acked. The machine is shared: this is a convergence check, not a speed measurement.

**Overall: ${verdict(r.ok)}** — exactly once ${verdict(s.ok)}, back on the fast path ${verdict(r.recovery.ok)}.

## Faults and recovery

| at | fault step | /ready on the fast path after |
| ---: | --- | ---: |
${r.schedule
  .map((step) => {
    const recovery = r.recovery.faults.find((fault) => fault.restoredAtSec === step.doneAtSec);
    return `| ${step.startedAtSec.toFixed(1)} s | ${step.action} | ${recovery ? sec(recovery.fastPathAfterSec) : ''} |`;
  })
  .join('\n')}

- After the last fault (done at ${r.recovery.lastFaultDoneAtSec.toFixed(1)} s), /ready reported \`ready\` / \`writePath: redis\` for good after **${sec(r.recovery.finalRecoverySec)}** (bound ${r.recovery.boundSec} s); last state seen: ${r.recovery.finalState ? `\`${r.recovery.finalState.status}\`, writePath \`${r.recovery.finalState.writePath}\`` : 'none'}.
- FAST sends after recovery answered HOT: ${r.recovery.probe.hot} of ${r.recovery.probe.sent}.
- Circuit transitions in the server log: ${r.serverLog.circuit.map((event) => `${event.event} ${event.atSec.toFixed(1)} s`).join(', ') || 'none'}.

## Exactly once

| | |
| --- | ---: |
| acked (HOT / DURABLE) | ${r.load.acked} (${r.load.hot} / ${r.load.durable}) |
| failed attempts, retried | ${r.load.failedAttempts} over ${r.load.retriedMessages} messages |
| given up unacked | ${r.load.givenUp} |
| rows in Postgres | ${s.inPostgres} (persister drained ${r.drain.waitedSec.toFixed(1)} s after the load) |
| acked and missing | ${list(s.missing)} |
| stored twice | ${list(s.duplicated)} |
| stored under another ID than acked | ${list(s.otherId)} |
| wrong content / not sent by anyone | ${s.wrongContent.length} / ${s.unexpected.length} |
| threads with a seq gap or a wrong last_seq | ${list(s.threadsWithGaps)} |
| stored at another seq than acked (HOT / DURABLE) | ${s.movedSeqs.hot} / ${s.movedSeqs.durable} |
| dead letters | ${r.deadLetters} |

A HOT ack not yet persisted when Redis went away may be stored at a later seq than acked, if a Postgres-path write took its seq (see the README's failure table); a DURABLE ack never moves.

Failed attempts by kind: ${Object.entries(r.load.failureKinds).map(([kind, count]) => `${kind} × ${count}`).join(', ') || 'none'}.

## Timeline (acks per 5 s by the path that took them)

| from | HOT | DURABLE | failed attempts |
| ---: | ---: | ---: | ---: |
${r.timeline.map((b) => `| ${b.fromSec} s | ${b.hot} | ${b.durable} | ${b.failedAttempts} |`).join('\n')}

## /ready changes

${r.readiness.map((state) => `- ${state.atSec.toFixed(1)} s: ${state.status}, writePath ${state.writePath}, redis ${state.redis}, postgres ${state.postgres}`).join('\n')}

## The persistence stream at the end

\`\`\`json
${JSON.stringify(r.streamAtEnd, null, 1)}
\`\`\`

## Server warnings by message

${Object.entries(r.serverLog.warnings).sort((a, b) => b[1] - a[1]).map(([message, count]) => `- ${count} × ${message}`).join('\n') || 'none'}
`;
}
