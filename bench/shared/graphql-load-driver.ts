import { siblingModule, startCommandChild } from './child-process.js';
import type { GraphqlLoadJob, GraphqlLoadResult } from './graphql-load-protocol.js';

export interface GraphqlLoadDriver {
  pid: number;
  /** Runs one job in the child; rejects if it has not answered `durationSec + 30` s later. */
  run(job: Omit<GraphqlLoadJob, 'cmd'>): Promise<GraphqlLoadResult>;
  stop(): Promise<void>;
}

/** Forks the generic GraphQL load client (graphql-load-client) and waits until it is ready. */
export async function startGraphqlLoadDriver(): Promise<GraphqlLoadDriver> {
  const child = await startCommandChild<GraphqlLoadJob>(siblingModule(import.meta.url, 'graphql-load-client'), 'GraphQL load client');
  return {
    pid: child.pid,
    run: (job) => child.run<GraphqlLoadResult>({ cmd: 'load', ...job }, (job.durationSec + 30) * 1000),
    stop: child.stop,
  };
}
