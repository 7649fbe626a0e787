import { parseArgs } from 'node:util';
import { isStreamWorker, STREAM_WORKERS, type StreamWorker } from './worker-placement.js';

export const WORKER_USAGE = `usage: npm run worker -- [--only ${STREAM_WORKERS.join('|')}[,…]] [consumer-name]

  --only      run only these consumers (repeat it, or separate them with commas); default: all
  consumer    this worker's name in each consumer group (default <hostname>-worker-<pid>);
              a worker restarted under the same name takes back its pending entries at once`;

export interface WorkerArguments {
  /** Consumers asked for; undefined: every one. */
  only?: StreamWorker[];
  consumer?: string;
  help: boolean;
}

export class WorkerArgumentError extends Error {}

/** `npm run worker -- …`: which consumers to run and under what name. */
export function parseWorkerArguments(argv: readonly string[]): WorkerArguments {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      options: { only: { type: 'string', multiple: true }, help: { type: 'boolean', short: 'h', default: false } },
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    throw new WorkerArgumentError((error as Error).message);
  }
  const { values, positionals } = parsed;
  if (positionals.length > 1) throw new WorkerArgumentError(`Expected at most one consumer name, got: ${positionals.join(' ')}`);
  const only = values.only?.flatMap((value) => value.split(',')).map((name) => name.trim()).filter((name) => name !== '');
  const unknown = only?.filter((name) => !isStreamWorker(name)) ?? [];
  if (unknown.length > 0) throw new WorkerArgumentError(`Unknown worker ${unknown.join(', ')}: expected ${STREAM_WORKERS.join(' or ')}`);
  if (only?.length === 0) throw new WorkerArgumentError('--only needs at least one worker');
  return { only: only ? [...new Set(only as StreamWorker[])] : undefined, consumer: positionals[0], help: values.help ?? false };
}
