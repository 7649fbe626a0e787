import { InvalidInputError } from '../errors/domain-errors.js';
import type { Message } from './message.js';
import type { MessagePart } from './message-parts.js';

export type ToolCallPart = Extract<MessagePart, { type: 'toolCall' }>;
export type ToolResultPart = Extract<MessagePart, { type: 'toolResult' }>;

/**
 * A run's open tool calls: those Postgres knows to be open (its committed messages), updated by
 * the messages sequenced after them and not persisted yet (Redis's window), in seq order. A
 * later message of the run may open calls; any later message may answer one.
 */
export function openToolCallsOf(
  runId: string,
  persistedOpen: readonly ToolCallPart[],
  later: ReadonlyArray<{ runId: string | null; parts: Message['parts'] }>,
): ToolCallPart[] {
  const open = new Map(persistedOpen.map((call) => [call.callId, call]));
  for (const message of later) {
    for (const part of message.parts ?? []) {
      if (part.type === 'toolCall' && message.runId === runId && !open.has(part.callId)) open.set(part.callId, part);
      else if (part.type === 'toolResult') open.delete(part.callId);
    }
  }
  return [...open.values()];
}

/**
 * A submission must answer every open call of the run, each once, and nothing else: refused as
 * the client's error otherwise, before anything is written.
 */
export function assertAnswersEveryOpenCall(open: readonly ToolCallPart[], results: readonly Pick<ToolResultPart, 'callId'>[]): void {
  const openIds = new Set(open.map((call) => call.callId));
  const unknown = results.find((result) => !openIds.has(result.callId));
  if (unknown) {
    throw new InvalidInputError(`callId ${unknown.callId} is no open tool call of this run (unknown, or answered already)`, {
      callId: unknown.callId,
      reason: 'NOT_OPEN',
    });
  }
  const answered = new Set(results.map((result) => result.callId));
  const missing = open.filter((call) => !answered.has(call.callId)).map((call) => call.callId);
  if (missing.length > 0) {
    throw new InvalidInputError(`The submission leaves open tool calls unanswered: ${missing.join(', ')}; answer every one at once`, {
      callIds: missing,
      reason: 'PARTIAL',
    });
  }
}

/** Each callId once in one submission (checked before storage is asked anything). */
export function assertDistinctCallIds(results: readonly Pick<ToolResultPart, 'callId'>[]): void {
  if (results.length === 0) throw new InvalidInputError('results must hold at least one tool result');
  const seen = new Set<string>();
  for (const { callId } of results) {
    if (seen.has(callId)) throw new InvalidInputError(`callId ${callId} appears twice in the submission`, { callId, reason: 'DUPLICATE' });
    seen.add(callId);
  }
}
