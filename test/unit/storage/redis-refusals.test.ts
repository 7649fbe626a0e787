import { ReplyError } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { isLastingRedisRefusal } from '../../../src/storage/redis-refusals.js';

describe('isLastingRedisRefusal: what the outbox relay sets aside instead of retrying', () => {
  const reply = (message: string) => new (ReplyError as unknown as new (message: string) => Error)(message);

  it.each([
    'WRONGTYPE Operation against a key holding the wrong kind of value script: 1a2b, on @user_script:12.',
    "ERR user_script:3: Script attempted to access nonexistent global variable 'x' script: 1a2b, on @user_script:3.",
    'ERR unknown command `XADD`, with args beginning with: ',
  ])('an answer about the request itself is lasting: %s', (message) => {
    expect(isLastingRedisRefusal(reply(message))).toBe(true);
  });

  it.each([
    'LOADING Redis is loading the dataset in memory',
    'BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.',
    "OOM command not allowed when used memory > 'maxmemory'.",
    "READONLY You can't write against a read only replica.",
    'MISCONF Redis is configured to save RDB snapshots, but it is currently not able to persist on disk.',
    'NOAUTH Authentication required.',
    'ERR max number of clients reached',
  ])('an answer about the server\'s state passes: %s', (message) => {
    expect(isLastingRedisRefusal(reply(message))).toBe(false);
  });

  it('a lost connection or a timeout is no answer at all', () => {
    expect(isLastingRedisRefusal(new Error('Connection is closed.'))).toBe(false);
    expect(isLastingRedisRefusal(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6379'), { code: 'ECONNREFUSED' }))).toBe(false);
  });
});
