// A generic GraphQL load generator, run as a child process (startGraphqlLoadDriver) so that
// building requests and parsing responses never competes with the measured server's event
// loop. It takes one job at a time over IPC, POSTs the job's bodies round robin with autocannon,
// and answers with its own exact latencies: autocannon's histogram rounds to whole milliseconds.
import autocannon from 'autocannon';
import type { GraphqlLoadJob, GraphqlLoadResult } from './graphql-load-protocol.js';
import { quantile } from './stats.js';

function runJob(job: GraphqlLoadJob): Promise<GraphqlLoadResult> {
  const { pathname, hostname, port } = new URL(job.url);
  let sent = 0;
  let lastResponseOk = false;
  let graphqlErrors = 0;
  let responseBytes = 0;
  let firstError: string | undefined;
  const latencies: number[] = [];
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: `http://${hostname}:${port}`,
        connections: job.connections,
        duration: job.durationSec,
        timeout: 10,
        requests: [
          {
            method: 'POST',
            path: pathname,
            setupRequest: (request) => {
              const next = job.requests[sent++ % job.requests.length]!;
              request.headers = { 'content-type': 'application/json', authorization: `Bearer ${next.token}` };
              request.body = next.body;
              return request;
            },
            onResponse: (status, body) => {
              // A cheap check on every response; the parent checks one answer of each request in full.
              lastResponseOk = status === 200 && body.startsWith('{"data"') && !body.includes('"errors":[');
              if (lastResponseOk) responseBytes += Buffer.byteLength(body);
              else {
                graphqlErrors++;
                firstError ??= `${status} ${body.slice(0, 300)}`;
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
          requestsPerSec: latencies.length / result.duration,
          latencyMs: {
            p50: quantile(latencies, 0.5),
            p90: quantile(latencies, 0.9),
            p99: quantile(latencies, 0.99),
            max: quantile(latencies, 1),
            mean: latencies.reduce((sum, value) => sum + value, 0) / (latencies.length || 1),
          },
          meanResponseBytes: responseBytes / (latencies.length || 1),
          graphqlErrors,
          errors: result.errors,
          timeouts: result.timeouts,
          firstError,
        });
      },
    );
    // Fires synchronously after onResponse for the same response, with its exact duration.
    instance.on('response', (_client: unknown, _status: number, _bytes: number, responseTime: number) => {
      if (lastResponseOk) latencies.push(responseTime);
    });
  });
}

process.on('message', (job: GraphqlLoadJob) => {
  runJob(job).then(
    (result) => process.send?.({ ok: true, result }),
    (error) => process.send?.({ ok: false, error: String(error?.stack ?? error) }),
  );
});
// Never outlive the benchmark.
process.on('disconnect', () => process.exit(0));
process.send?.({ ready: true });
