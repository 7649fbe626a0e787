import type { MessagePart } from '../../domain/message-parts.js';
import { fileInputSchema, toolCallInputSchema, toolResultInputSchema } from '../../domain/message-parts.js';
import { builder } from '../builder.js';

type PartOf<T extends MessagePart['type']> = Extract<MessagePart, { type: T }>;

const TextPartRef = builder.objectRef<PartOf<'text'>>('TextPart').implement({
  description: 'Text the author wrote; `Message.content` is these joined.',
  fields: (t) => ({ text: t.exposeString('text') }),
});

const ReasoningPartRef = builder.objectRef<PartOf<'reasoning'>>('ReasoningPart').implement({
  description: "A model's reasoning, kept apart from what it answered.",
  fields: (t) => ({ text: t.exposeString('text') }),
});

export const ToolCallPartRef = builder.objectRef<PartOf<'toolCall'>>('ToolCallPart').implement({
  description: 'A call of a tool; a later ToolResultPart with the same callId answers it.',
  fields: (t) => ({
    callId: t.exposeString('callId', { description: 'Unique in its thread.' }),
    name: t.exposeString('name'),
    arguments: t.expose('arguments', { type: 'JSON' }),
  }),
});

const ToolResultPartRef = builder.objectRef<PartOf<'toolResult'>>('ToolResultPart').implement({
  description: 'What a tool call returned.',
  fields: (t) => ({
    callId: t.exposeString('callId'),
    output: t.expose('output', { type: 'JSON' }),
    isError: t.exposeBoolean('isError'),
  }),
});

const FilePartRef = builder.objectRef<PartOf<'file'>>('FilePart').implement({
  description: 'A file, by reference: Threadline stores its URI, never its bytes.',
  fields: (t) => ({
    uri: t.exposeString('uri'),
    mediaType: t.exposeString('mediaType'),
    // Non-null like ToolCallPart.name: a client selecting both in one query needs no alias.
    name: t.exposeString('name'),
    sizeBytes: t.exposeInt('sizeBytes', { nullable: true }),
  }),
});

const PART_TYPES = {
  text: TextPartRef,
  reasoning: ReasoningPartRef,
  toolCall: ToolCallPartRef,
  toolResult: ToolResultPartRef,
  file: FilePartRef,
} as const;

export const MessagePartRef = builder.unionType('MessagePart', {
  types: Object.values(PART_TYPES),
  resolveType: (part) => PART_TYPES[part.type],
});

const ToolCallInput = builder.inputType('ToolCallInput', {
  fields: (t) => ({
    callId: t.string({ required: true, description: '1 to 200 printable ASCII characters, no spaces; unique in the thread.' }),
    name: t.string({ required: true }),
    arguments: t.field({ type: 'JSON', required: true, description: 'Any JSON value, within the metadata limits (16 KiB, 16 levels).' }),
  }),
});

export const ToolResultInput = builder.inputType('ToolResultInput', {
  fields: (t) => ({
    callId: t.string({ required: true, description: 'A toolCall of the same thread that has no result yet.' }),
    output: t.field({ type: 'JSON', required: true, description: 'Any JSON value, within the metadata limits.' }),
    isError: t.boolean({ required: false, defaultValue: false }),
  }),
});

const FileInput = builder.inputType('FileInput', {
  fields: (t) => ({
    uri: t.string({ required: true, description: 'An https: URI (or a scheme of FILE_URI_SCHEMES); no inline data.' }),
    mediaType: t.string({ required: true, description: 'type/subtype, e.g. image/png.' }),
    name: t.string({ required: true }),
    sizeBytes: t.int({ required: false }),
  }),
});

export const MessagePartInputRef = builder.inputType('MessagePartInput', {
  description: 'One part of a message: exactly one of the fields.',
  isOneOf: true,
  fields: (t) => ({
    text: t.string({ required: false }),
    reasoning: t.string({ required: false }),
    toolCall: t.field({ type: ToolCallInput, required: false, validate: toolCallInputSchema.nullish() }),
    toolResult: t.field({ type: ToolResultInput, required: false, validate: toolResultInputSchema.nullish() }),
    file: t.field({ type: FileInput, required: false, validate: fileInputSchema.nullish() }),
  }),
});
