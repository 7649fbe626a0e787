import { describe, expect, it } from 'vitest';
import { parseWorkerArguments, WorkerArgumentError } from '../../../src/workers/worker-arguments.js';

describe('npm run worker -- …', () => {
  it('runs every worker under a generated name when given nothing', () => {
    expect(parseWorkerArguments([])).toEqual({ only: undefined, consumer: undefined, help: false });
  });

  it('takes --only, repeated or comma-separated, and a consumer name', () => {
    expect(parseWorkerArguments(['--only', 'persister', 'worker-1'])).toMatchObject({ only: ['persister'], consumer: 'worker-1' });
    expect(parseWorkerArguments(['--only=archiver,persister'])).toMatchObject({ only: ['archiver', 'persister'] });
    expect(parseWorkerArguments(['--only', 'archiver', '--only', 'archiver'])).toMatchObject({ only: ['archiver'] });
  });

  it('refuses unknown workers, unknown flags and a second name, saying what was wrong', () => {
    expect(() => parseWorkerArguments(['--only', 'indexer'])).toThrow(/Unknown worker indexer/);
    expect(() => parseWorkerArguments(['--only', ','])).toThrow(/at least one/);
    expect(() => parseWorkerArguments(['--all'])).toThrow(WorkerArgumentError);
    expect(() => parseWorkerArguments(['a', 'b'])).toThrow(/at most one consumer name/);
  });
});
