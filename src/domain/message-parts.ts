import { z } from 'zod';
import { InvalidInputError } from '../errors/domain-errors.js';
import { exceedsDepth, MAX_METADATA_BYTES, MAX_METADATA_DEPTH } from './metadata.js';

/**
 * The pieces of a structured message, in order: what an agent said, thought, asked a tool and
 * was told, and the files it refers to. Stored as JSON (the `parts` column, the Redis window, the
 * stream), discriminated by `type`.
 */
export type MessagePart =
  | { type: 'text'; text: string }
  | { type: 'reasoning'; text: string }
  | { type: 'toolCall'; callId: string; name: string; arguments: unknown }
  | { type: 'toolResult'; callId: string; output: unknown; isError: boolean }
  | { type: 'file'; uri: string; mediaType: string; name: string; sizeBytes: number | null };

export type MessagePartType = MessagePart['type'];

/** A tool call's ID: printable ASCII without spaces, so the hot tier can list several in one argument. */
export const CALL_ID_REGEX = /^[\x21-\x7e]{1,200}$/;
/** `type/subtype`, as in Content-Type, without parameters. */
const MEDIA_TYPE_REGEX = /^[\w.+-]{1,127}\/[\w.+-]{1,127}$/;
const MAX_TOOL_NAME_LENGTH = 200;
const MAX_FILE_NAME_LENGTH = 1_000;

/** What is wrong with a tool's arguments or output (any JSON value, within the limits metadata has), or null. */
export function toolJsonProblem(value: unknown, what: string): string | null {
  if (value === undefined) return `${what} is required`;
  if (exceedsDepth(value, MAX_METADATA_DEPTH)) return `${what} is nested deeper than ${MAX_METADATA_DEPTH} levels`;
  const bytes = Buffer.byteLength(JSON.stringify(value), 'utf8');
  return bytes > MAX_METADATA_BYTES ? `${what} is ${bytes} bytes as JSON; the limit is ${MAX_METADATA_BYTES}` : null;
}

const toolJson = (what: string) =>
  z.unknown().superRefine((value, ctx) => {
    const problem = toolJsonProblem(value, what);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });

const callId = z.string().regex(CALL_ID_REGEX, 'callId must be 1 to 200 printable ASCII characters without spaces');

/** The stored form, as every tier reads it back. */
export const messagePartModel: z.ZodType<MessagePart> = z.discriminatedUnion('type', [
  z.object({ type: z.literal('text'), text: z.string() }),
  z.object({ type: z.literal('reasoning'), text: z.string() }),
  z.object({ type: z.literal('toolCall'), callId: z.string(), name: z.string(), arguments: z.unknown() }),
  z.object({ type: z.literal('toolResult'), callId: z.string(), output: z.unknown(), isError: z.boolean() }),
  z.object({ type: z.literal('file'), uri: z.string(), mediaType: z.string(), name: z.string(), sizeBytes: z.number().nullable() }),
]) as z.ZodType<MessagePart>;

/** The GraphQL input, one key per part (`@oneOf`). */
export interface MessagePartInput {
  text?: string | null;
  reasoning?: string | null;
  toolCall?: { callId: string; name: string; arguments?: unknown } | null;
  toolResult?: { callId: string; output?: unknown; isError?: boolean | null } | null;
  file?: { uri: string; mediaType: string; name: string; sizeBytes?: number | null } | null;
}

/** Input field validators, run by Pothos's validation plugin before the resolver. */
export const toolCallInputSchema = z.object({
  callId,
  name: z.string().min(1).max(MAX_TOOL_NAME_LENGTH),
  arguments: toolJson('toolCall.arguments'),
});
export const toolResultInputSchema = z.object({ callId, output: toolJson('toolResult.output'), isError: z.boolean().nullish() });
export const fileInputSchema = z.object({
  uri: z.string().url('file.uri must be an absolute URI').max(2_048),
  mediaType: z.string().regex(MEDIA_TYPE_REGEX, 'file.mediaType must be a media type such as image/png'),
  name: z.string().min(1).max(MAX_FILE_NAME_LENGTH),
  sizeBytes: z.number().int().min(0).nullish(),
});

/** The parts of an input, in order; the `@oneOf` input guarantees each has exactly one key. */
export function partsOfInput(inputs: readonly MessagePartInput[]): MessagePart[] {
  return inputs.map((input): MessagePart => {
    if (input.text != null) return { type: 'text', text: input.text };
    if (input.reasoning != null) return { type: 'reasoning', text: input.reasoning };
    if (input.toolCall) return { type: 'toolCall', callId: input.toolCall.callId, name: input.toolCall.name, arguments: input.toolCall.arguments };
    if (input.toolResult) {
      const { callId, output, isError } = input.toolResult;
      return { type: 'toolResult', callId, output, isError: isError ?? false };
    }
    const file = input.file!;
    return { type: 'file', uri: file.uri, mediaType: file.mediaType, name: file.name, sizeBytes: file.sizeBytes ?? null };
  });
}

/** A message's text: its text parts joined, as `content` has always been. */
export function contentOfParts(parts: readonly MessagePart[]): string {
  return parts.map((part) => (part.type === 'text' ? part.text : '')).join('');
}

/** The parts a reader sees: stored ones, or the content as one text part (messages sent as plain text). */
export function partsOf(message: { parts: MessagePart[] | null; content: string }): MessagePart[] {
  return message.parts ?? [{ type: 'text', text: message.content }];
}

/** The tool calls a message opens and the ones it answers. */
export function toolCallIdsOf(parts: readonly MessagePart[] | null): { calls: string[]; results: string[] } {
  const calls: string[] = [];
  const results: string[] = [];
  for (const part of parts ?? []) {
    if (part.type === 'toolCall') calls.push(part.callId);
    else if (part.type === 'toolResult') results.push(part.callId);
  }
  return { calls, results };
}

/** The size limit of a structured message: its parts as JSON, in UTF-8 bytes. */
export function assertPartsSize(parts: readonly MessagePart[], maxBytes: number): void {
  const bytes = Buffer.byteLength(JSON.stringify(parts), 'utf8');
  if (bytes > maxBytes) throw new InvalidInputError(`Message parts are ${bytes} bytes as JSON; the limit is ${maxBytes}`, { bytes, maxBytes });
}

export interface MessagePartRules {
  maxMessageBytes: number;
  /** Most parts in one message. */
  maxMessageParts: number;
  /** URI schemes a file part may use, without the colon (`https`). */
  fileUriSchemes: readonly string[];
}

/**
 * The rules a message's parts must follow that need no storage: refused as the client's error
 * before anything is acked. Whether a result answers an open call is the sequencing tier's to check.
 */
export function assertPartsAcceptable(parts: readonly MessagePart[], role: string, rules: MessagePartRules): void {
  if (parts.length === 0) throw new InvalidInputError('parts must hold at least one part');
  if (parts.length > rules.maxMessageParts) {
    throw new InvalidInputError(`A message holds at most ${rules.maxMessageParts} parts, not ${parts.length}`, { parts: parts.length, maxParts: rules.maxMessageParts });
  }
  assertPartsSize(parts, rules.maxMessageBytes);
  if (role === 'TOOL' && parts.some((part) => part.type !== 'toolResult')) {
    throw new InvalidInputError('A TOOL message carries only toolResult parts');
  }
  for (const part of parts) {
    if (part.type !== 'file') continue;
    const scheme = part.uri.slice(0, part.uri.indexOf(':')).toLowerCase();
    if (!rules.fileUriSchemes.includes(scheme)) {
      throw new InvalidInputError(`file.uri must use one of the schemes ${rules.fileUriSchemes.join(', ')}; files are stored by reference, not inline`, { scheme });
    }
  }
  const { calls, results } = toolCallIdsOf(parts);
  const repeated = [calls, results].map((ids) => ids.find((id, index) => ids.indexOf(id) !== index)).find(Boolean);
  if (repeated) throw new InvalidInputError(`callId ${repeated} appears twice in one message`, { callId: repeated });
  const answeredHere = results.find((id) => calls.includes(id));
  if (answeredHere) throw new InvalidInputError(`toolResult ${answeredHere} answers a toolCall of the same message; send the result in a later message`, { callId: answeredHere });
}

/** Where a thread's tool call stands: open until a result answers it. */
export interface ToolCallState {
  callId: string;
  answered: boolean;
}

export type ToolCallRefusal = 'TOOL_CALL_EXISTS' | 'UNKNOWN_TOOL_CALL' | 'TOOL_CALL_ANSWERED';

/** The first tool-call rule a message breaks against its thread's calls so far, or null. */
export function toolCallRefusalOf(parts: readonly MessagePart[] | null, states: readonly ToolCallState[]): { status: ToolCallRefusal; callId: string } | null {
  const { calls, results } = toolCallIdsOf(parts);
  const byId = new Map(states.map((state) => [state.callId, state.answered]));
  const existing = calls.find((callId) => byId.has(callId));
  if (existing) return { status: 'TOOL_CALL_EXISTS', callId: existing };
  for (const callId of results) {
    const answered = byId.get(callId);
    if (answered === undefined) return { status: 'UNKNOWN_TOOL_CALL', callId };
    if (answered) return { status: 'TOOL_CALL_ANSWERED', callId };
  }
  return null;
}

/** The client's error for a broken tool-call rule: refused before the ack, nothing changed. */
export function toolCallRefused(refusal: { status: ToolCallRefusal; callId: string }): InvalidInputError {
  const reasons: Record<ToolCallRefusal, string> = {
    TOOL_CALL_EXISTS: 'is already a toolCall of this thread: a callId is unique in its thread',
    UNKNOWN_TOOL_CALL: 'answers no toolCall of this thread',
    TOOL_CALL_ANSWERED: 'answers a toolCall that already has its result',
  };
  return new InvalidInputError(`callId ${refusal.callId} ${reasons[refusal.status]}`, { callId: refusal.callId, reason: refusal.status });
}
