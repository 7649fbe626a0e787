import { InvalidInputError } from '../errors/domain-errors.js';
import { contentOfParts, toolJsonProblem, type MessagePart } from './message-parts.js';

/**
 * Streaming a structured message: deltas name the part they extend (`partIndex`). A text or
 * reasoning part grows its text; a tool call whose `arguments` was started as a string grows that
 * string, JSON text arriving in pieces as models emit it, and completion parses it. A message
 * started without parts is one text part, index 0, as streaming has always been.
 */

/** One letter per part, as the hot tier keeps it with a draft: t text, r reasoning, c streamable tool call, - not streamable. */
export function streamableKindsOf(parts: readonly MessagePart[] | null): string {
  if (!parts) return 't';
  return parts
    .map((part) => {
      if (part.type === 'text') return 't';
      if (part.type === 'reasoning') return 'r';
      return part.type === 'toolCall' && typeof part.arguments === 'string' ? 'c' : '-';
    })
    .join('');
}

/** The refusal of a delta for a part that takes none; `kinds` as streamableKindsOf gives them. */
export function partNotStreamable(partIndex: number, kinds: string): InvalidInputError {
  const count = kinds.length;
  if (partIndex >= count) return new InvalidInputError(`partIndex ${partIndex} is past the message's ${count} part(s)`, { partIndex });
  return new InvalidInputError(
    `Part ${partIndex} takes no deltas: only text, reasoning and toolCall parts whose arguments were started as a string of JSON text stream`,
    { partIndex },
  );
}

/** The message as its deltas so far make it: `streamed[i]` is what arrived for part i. */
export function withStreamed(
  message: { content: string; parts: MessagePart[] | null },
  streamed: readonly string[],
): { content: string; parts: MessagePart[] | null } {
  if (!message.parts) return { content: message.content + (streamed[0] ?? ''), parts: null };
  const parts = message.parts.map((part, index): MessagePart => {
    const more = streamed[index] ?? '';
    if (!more) return part;
    if (part.type === 'text' || part.type === 'reasoning') return { ...part, text: part.text + more };
    if (part.type === 'toolCall' && typeof part.arguments === 'string') return { ...part, arguments: part.arguments + more };
    return part;
  });
  return { content: contentOfParts(parts), parts };
}

/**
 * The parts of a completed streaming message: every tool call's streamed arguments text parsed.
 * Text that is no JSON, or breaks the metadata limits, is the agent's error: the completion is
 * refused and the message stays in progress, so the missing deltas can still arrive.
 */
export function completedParts(parts: MessagePart[] | null): MessagePart[] | null {
  if (!parts) return null;
  return parts.map((part) => {
    if (part.type !== 'toolCall' || typeof part.arguments !== 'string') return part;
    let parsed: unknown;
    try {
      parsed = JSON.parse(part.arguments);
    } catch {
      throw new InvalidInputError(`toolCall ${part.callId}: its streamed arguments are not JSON text`, { callId: part.callId });
    }
    const problem = toolJsonProblem(parsed, 'toolCall.arguments');
    if (problem) throw new InvalidInputError(`toolCall ${part.callId}: ${problem}`, { callId: part.callId });
    return { ...part, arguments: parsed };
  });
}
