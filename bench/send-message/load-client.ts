// The load generator, run as a child process of run.ts so that building
// requests and parsing responses never competes with the servers' event loop. It takes one job
// at a time over IPC, runs autocannon, and answers with its own exact (sub-millisecond)
// latencies: autocannon's histogram rounds to whole milliseconds, too coarse for the hot path.
import { performance } from 'node:perf_hooks';
import autocannon from 'autocannon';
import { seedCallId, sendMessageBody, sendPartsBody } from './payload.js';
import { quantile } from '../shared/stats.js';
import type { LoadJob, LoadResult } from './load-protocol.js';

const VIEWER_BODY = JSON.stringify({ query: '{ viewer { id } }' });

/**
 * Each thread's newest tool call, answered by its next structured send. Kept across jobs (this
 * process runs them all) and set as each request is written: a request still in flight when a
 * job ends is stored all the same, and any refused one fails the run anyway.
 */
const openCalls = new Map<string, string>();

type SendKind = 'text' | 'parts';

/** What request `n` of a job sends: `alternate` takes text and five parts in turn. */
function kindOf(job: LoadJob, n: number): SendKind | 'viewer' {
  if (job.operation === 'viewer') return 'viewer';
  if (job.operation === 'alternate') return n % 2 === 0 ? 'text' : 'parts';
  return job.operation === 'sendParts' ? 'parts' : 'text';
}

function bodyOf(kind: SendKind | 'viewer', job: LoadJob, threadId: string, n: number): string {
  if (kind === 'viewer') return VIEWER_BODY;
  if (kind === 'text') return sendMessageBody(threadId, n, job.contentBytes);
  const body = sendPartsBody(threadId, n, job.contentBytes, openCalls.get(threadId) ?? seedCallId(threadId));
  openCalls.set(threadId, `c${n}`);
  return body;
}

function runJob(job: LoadJob): Promise<LoadResult> {
  const { pathname, hostname, port } = new URL(job.url);
  let sent = 0;
  let lastResponseOk = false;
  let graphqlErrors = 0;
  let firstError: string | undefined;
  const latencies: number[] = [];
  // An alternating job's latencies by kind. A connection has one request in flight at a time, and
  // autocannon gives each request a fresh context that its response's onResponse sees again.
  const latenciesByKind: Record<SendKind, number[]> = { text: [], parts: [] };
  let lastKind: SendKind | 'viewer' = 'text';
  const acks: Array<[string, number, number]> = [];
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: `http://${hostname}:${port}`,
        connections: job.connections,
        duration: job.durationSec,
        ...(job.overallRate ? { overallRate: job.overallRate } : {}),
        timeout: 10,
        requests: [
          {
            method: 'POST',
            path: pathname,
            // Round robin over the threads: with far more threads than connections, two
            // requests in flight never target one thread, so the naive path never waits on a lock.
            setupRequest: (request, context) => {
              const n = job.firstN + sent++;
              const thread = job.threads[n % job.threads.length]!;
              const kind = kindOf(job, n);
              context.kind = kind;
              request.headers = { 'content-type': 'application/json', authorization: `Bearer ${thread.token}` };
              request.body = bodyOf(kind, job, thread.threadId, n);
              return request;
            },
            onResponse: (status, body, context) => {
              lastKind = context.kind as SendKind | 'viewer';
              lastResponseOk = status === 200 && !body.includes('"errors"') && body.includes('"data"');
              if (!lastResponseOk) {
                graphqlErrors++;
                firstError ??= `${status} ${body.slice(0, 300)}`;
              } else if (job.recordAcks && job.operation !== 'viewer') {
                const message = JSON.parse(body).data.sendMessage;
                acks.push([message.threadId, message.seq, performance.timeOrigin + performance.now()]);
              }
            },
          },
        ],
      },
      (error, result) => {
        if (error) return reject(error);
        resolve({
          job: job.name,
          durationSec: result.duration,
          requests: latencies.length,
          sent,
          requestsPerSec: latencies.length / result.duration,
          latencyMs: {
            p50: quantile(latencies, 0.5),
            p90: quantile(latencies, 0.9),
            p99: quantile(latencies, 0.99),
            max: quantile(latencies, 1),
            mean: latencies.reduce((sum, value) => sum + value, 0) / (latencies.length || 1),
          },
          autocannon: { p50: result.latency.p50, p99: result.latency.p99, requestsAverage: result.requests.average },
          errors: result.errors,
          timeouts: result.timeouts,
          non2xx: result.non2xx,
          graphqlErrors,
          firstError,
          acks: job.recordAcks ? acks : undefined,
          p50MsByKind: job.operation === 'alternate' ? { text: quantile(latenciesByKind.text, 0.5), parts: quantile(latenciesByKind.parts, 0.5) } : undefined,
        });
      },
    );
    // Fires synchronously after onResponse for the same response, with its exact duration.
    instance.on('response', (_client: unknown, _status: number, _bytes: number, responseTime: number) => {
      if (!lastResponseOk) return;
      latencies.push(responseTime);
      if (lastKind !== 'viewer') latenciesByKind[lastKind].push(responseTime);
    });
  });
}

process.on('message', (job: LoadJob) => {
  runJob(job).then(
    (result) => process.send?.({ ok: true, result }),
    (error) => process.send?.({ ok: false, error: String(error?.stack ?? error) }),
  );
});
// Never outlive the benchmark.
process.on('disconnect', () => process.exit(0));
process.send?.({ ready: true });
