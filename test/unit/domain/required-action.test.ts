import { describe, expect, it } from 'vitest';
import { assertAnswersEveryOpenCall, assertDistinctCallIds, openToolCallsOf, type ToolCallPart } from '../../../src/domain/required-action.js';
import type { MessagePart } from '../../../src/domain/message-parts.js';

const call = (callId: string): ToolCallPart => ({ type: 'toolCall', callId, name: 'tool', arguments: {} });
const answer = (callId: string): MessagePart => ({ type: 'toolResult', callId, output: null, isError: false });

describe('openToolCallsOf', () => {
  it('adds the later calls of the run, drops what any later message answers, keeps seq order', () => {
    const later = [
      { runId: 'run_a', parts: [{ type: 'text', text: 'x' } as MessagePart, call('b'), call('c')] },
      { runId: 'run_other', parts: [call('d')] },
      { runId: null, parts: [answer('a'), answer('c')] },
      { runId: 'run_a', parts: null },
    ];
    expect(openToolCallsOf('run_a', [call('a'), call('z')], later).map((c) => c.callId)).toEqual(['z', 'b']);
  });
});

describe('assertAnswersEveryOpenCall', () => {
  const open = [call('a'), call('b')];
  it('takes every open call once, in any order', () => {
    expect(() => assertAnswersEveryOpenCall(open, [{ callId: 'b' }, { callId: 'a' }])).not.toThrow();
  });
  it('refuses a partial submission, naming what is missing', () => {
    expect(() => assertAnswersEveryOpenCall(open, [{ callId: 'a' }])).toThrow(/unanswered: b/);
  });
  it('refuses a callId that is not open', () => {
    expect(() => assertAnswersEveryOpenCall(open, [{ callId: 'a' }, { callId: 'b' }, { callId: 'c' }])).toThrow(/c is no open tool call/);
  });
  it('refuses anything for a run with no open calls', () => {
    expect(() => assertAnswersEveryOpenCall([], [{ callId: 'a' }])).toThrow(/a is no open tool call/);
  });
});

describe('assertDistinctCallIds', () => {
  it('refuses a callId twice and an empty submission', () => {
    expect(() => assertDistinctCallIds([{ callId: 'a' }, { callId: 'a' }])).toThrow(/a appears twice/);
    expect(() => assertDistinctCallIds([])).toThrow(/at least one/);
    expect(() => assertDistinctCallIds([{ callId: 'a' }, { callId: 'b' }])).not.toThrow();
  });
});
