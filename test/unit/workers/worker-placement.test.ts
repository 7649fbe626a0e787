import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config.js';
import { serverStreamWorkers, standaloneStreamWorkers } from '../../../src/workers/worker-placement.js';

const config = (env: Record<string, string> = {}) => loadConfig({ NODE_ENV: 'test', ...env });
const external = { CLICKHOUSE_URL: 'http://clickhouse.internal:8123' };

describe('where the stream workers run', () => {
  it('in the server by default: the persister and the archiver', () => {
    expect(serverStreamWorkers(config())).toEqual(['persister', 'archiver']);
    expect(serverStreamWorkers(config(external))).toEqual(['persister', 'archiver']);
  });

  it('with CLICKHOUSE_URL and RUN_WORKERS_IN_PROCESS=false, in workers only: every one of them', () => {
    const scaledOut = config({ ...external, RUN_WORKERS_IN_PROCESS: 'false' });
    expect(serverStreamWorkers(scaledOut)).toEqual([]);
    expect(standaloneStreamWorkers(scaledOut)).toEqual({ run: ['persister', 'archiver'], leftToServer: [] });
    expect(standaloneStreamWorkers(scaledOut, ['archiver'])).toEqual({ run: ['archiver'], leftToServer: [] });
  });

  it('with embedded chDB (one process only), the archiver stays in the server and workers run the persister', () => {
    const embedded = config({ RUN_WORKERS_IN_PROCESS: 'false' });
    expect(serverStreamWorkers(embedded)).toEqual(['archiver']);
    expect(standaloneStreamWorkers(embedded)).toEqual({ run: ['persister'], leftToServer: ['archiver'] });
    expect(standaloneStreamWorkers(embedded, ['archiver'])).toEqual({ run: [], leftToServer: ['archiver'] });
  });
});
