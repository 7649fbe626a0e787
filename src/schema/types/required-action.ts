import { z } from 'zod';
import { toolResultInputSchema } from '../../domain/message-parts.js';
import type { ToolCallPart } from '../../domain/required-action.js';
import { parseRunId } from '../../ids/parse-ids.js';
import { findOpenToolCalls, submitToolResults } from '../../storage/tool-results.js';
import { builder } from '../builder.js';
import { IMMEDIATE_WRITE } from '../immediate-write.js';
import { ToolCallPartRef, ToolResultInput } from './message-part.js';
import { RunRef } from './run.js';

/** At most this many results in one submission (a run's open calls are few; the message size limit still applies). */
const MAX_RESULTS = 128;

const RequiredActionRef = builder.objectRef<{ toolCalls: ToolCallPart[] }>('RequiredAction').implement({
  description: 'What a run in REQUIRES_ACTION waits for: results for its open tool calls, given all at once with submitToolResults.',
  fields: (t) => ({
    toolCalls: t.field({
      type: [ToolCallPartRef],
      description: "The run's tool calls that no message of the thread answers yet, in the order they were made (FAST sends of a moment ago included).",
      resolve: (action) => action.toolCalls,
    }),
  }),
});

builder.objectField(RunRef, 'requiredAction', (t) =>
  t.field({
    type: RequiredActionRef,
    nullable: true,
    description: 'The open tool calls of a run in REQUIRES_ACTION; null in every other status.',
    resolve: async (run, _args, ctx) => {
      if (run.status !== 'REQUIRES_ACTION') return null;
      // The thread's committed last seq first: see findOpenToolCalls.
      const thread = await ctx.loaders.threadById.load(run.threadId);
      return { toolCalls: await findOpenToolCalls(ctx.messageStore, ctx.uow.reader, run, thread.lastSeq) };
    },
  }),
);

const SubmitToolResultsInput = builder.inputType('SubmitToolResultsInput', {
  fields: (t) => ({
    runId: t.id({ required: true, description: 'A run in REQUIRES_ACTION.' }),
    results: t.field({
      type: [ToolResultInput],
      required: true,
      description: `One result for each of the run's open tool calls (Run.requiredAction), no more, no fewer, each callId once; at most ${MAX_RESULTS}.`,
      validate: z.array(toolResultInputSchema).min(1).max(MAX_RESULTS),
    }),
  }),
});

builder.mutationField('submitToolResults', (t) =>
  t.withAuth({ authenticated: true }).field({
    type: RunRef,
    description:
      "Answers every open tool call of a run in REQUIRES_ACTION with one TOOL message and moves the run back to IN_PROGRESS, in one step. " +
      'A partial submission, an unknown or answered callId, a callId given twice, or a run in another status is BAD_USER_INPUT and ' +
      "changes nothing; another user's run is NOT_FOUND. Must be the only field of its mutation operation.",
    extensions: IMMEDIATE_WRITE,
    args: { input: t.arg({ type: SubmitToolResultsInput, required: true }) },
    resolve: (_root, { input }, ctx) =>
      submitToolResults(ctx, {
        runId: parseRunId(input.runId),
        results: input.results.map((result) => ({ callId: result.callId, output: result.output, isError: result.isError ?? false })),
      }),
  }),
);
