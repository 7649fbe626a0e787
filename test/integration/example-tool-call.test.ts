import { print } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  RunRequiredActionDocument, SendMessagePartsDocument, StartRunDocument, SubmitToolResultsDocument, UpdateRunStatusDocument,
  type RunRequiredActionQuery, type SendMessagePartsMutation, type SendMessagePartsMutationVariables, type StartRunMutation,
  type SubmitToolResultsMutation, type SubmitToolResultsMutationVariables, type UpdateRunStatusMutation, type UpdateRunStatusMutationVariables,
} from '../../examples/generated/graphql.js';
import { expectData } from '../support/expect-graphql.js';
import { seed } from '../support/seed.js';
import { newUserId, startTestApp, type TestApp } from '../support/test-app.js';

type Part = SendMessagePartsMutation['sendMessage']['parts'][number];

/** What a chat frontend shows of a part, switching on the generated union as its code would. */
function render(part: Part): string {
  switch (part.__typename) {
    case 'TextPart':
      return part.text;
    case 'ReasoningPart':
      return `(thinking: ${part.text})`;
    case 'ToolCallPart':
      return `[${part.name}(${JSON.stringify(part.arguments)}) #${part.callId}]`;
    case 'ToolResultPart':
      return `[#${part.callId} → ${JSON.stringify(part.output)}${part.isError ? ' (error)' : ''}]`;
    case 'FilePart':
      return `[${part.name}: ${part.uri}]`;
  }
}

// examples/operations/send-message-parts.graphql through its generated typed document: the
// tool-call round trip a client of the schema would write.
describe('the example tool-call round trip (codegen client preset)', () => {
  let app: TestApp;
  beforeAll(async () => void (app = await startTestApp()));
  afterAll(() => app?.stop());

  it('call, result and answer, each read back through the generated union', async () => {
    const user = newUserId();
    const thread = await seed(app.db).thread(user);
    const send = async (input: SendMessagePartsMutationVariables['input']) =>
      expectData<SendMessagePartsMutation>(await app.gql(user, print(SendMessagePartsDocument), { input })).sendMessage;

    const call = await send({ threadId: thread.id, role: 'ASSISTANT', parts: [{ reasoning: 'Need the forecast.' }, { toolCall: { callId: 'call_1', name: 'forecast', arguments: { city: 'Oslo' } } }] });
    const result = await send({ threadId: thread.id, role: 'TOOL', parts: [{ toolResult: { callId: 'call_1', output: { celsius: -3 } } }] });
    const answer = await send({ threadId: thread.id, role: 'ASSISTANT', parts: [{ text: 'It is -3 °C in Oslo. ' }, { file: { uri: 'https://maps.example/oslo.png', mediaType: 'image/png', name: 'oslo.png' } }] });

    expect([call, result, answer].map((message) => message.parts.map(render).join(' '))).toEqual([
      '(thinking: Need the forecast.) [forecast({"city":"Oslo"}) #call_1]',
      '[#call_1 → {"celsius":-3}]',
      'It is -3 °C in Oslo.  [oslo.png: https://maps.example/oslo.png]',
    ]);
    expect([call.seq, result.seq, answer.seq]).toEqual([1, 2, 3]);
    expect(answer.content).toBe('It is -3 °C in Oslo. ');
  });
});

// examples/operations/tool-call-round-trip.graphql with start-run, update-run-status and
// send-message-parts: the agent asks for a tool, the client answers it through requiredAction.
describe('the example required-action round trip (codegen client preset)', () => {
  let app: TestApp;
  beforeAll(async () => void (app = await startTestApp()));
  afterAll(() => app?.stop());

  it('start, call, REQUIRES_ACTION, read the open calls, submit, complete', async () => {
    const user = newUserId();
    const thread = await seed(app.db).thread(user);
    const run = async <T>(document: Parameters<typeof print>[0], variables: Record<string, unknown>) =>
      expectData<T>(await app.gql(user, print(document), variables));
    const setStatus = async (id: string, status: UpdateRunStatusMutationVariables['input']['status']) =>
      (await run<UpdateRunStatusMutation>(UpdateRunStatusDocument, { input: { id, status } })).updateRunStatus;

    const started = (await run<StartRunMutation>(StartRunDocument, { input: { threadId: thread.id } })).startRun;
    expect((await setStatus(started.id, 'IN_PROGRESS')).status).toBe('IN_PROGRESS');
    const parts = [{ text: 'Checking the forecast.' }, { toolCall: { callId: 'call_weather', name: 'forecast', arguments: { city: 'Oslo' } } }];
    await run<SendMessagePartsMutation>(SendMessagePartsDocument, { input: { threadId: thread.id, runId: started.id, role: 'ASSISTANT', parts } });
    expect((await setStatus(started.id, 'REQUIRES_ACTION')).status).toBe('REQUIRES_ACTION');

    const waiting = (await run<RunRequiredActionQuery>(RunRequiredActionDocument, { id: started.id })).run;
    const calls = waiting?.requiredAction?.toolCalls ?? [];
    expect(calls).toEqual([{ callId: 'call_weather', name: 'forecast', arguments: { city: 'Oslo' } }]);

    const input: SubmitToolResultsMutationVariables['input'] = { runId: started.id, results: calls.map((c) => ({ callId: c.callId, output: { celsius: -3 } })) };
    const resumed = (await run<SubmitToolResultsMutation>(SubmitToolResultsDocument, { input })).submitToolResults;
    expect(resumed).toMatchObject({ id: started.id, status: 'IN_PROGRESS', requiredAction: null });

    await run<SendMessagePartsMutation>(SendMessagePartsDocument, { input: { threadId: thread.id, runId: started.id, role: 'ASSISTANT', parts: [{ text: 'It is -3 °C.' }] } });
    expect((await setStatus(started.id, 'COMPLETED')).status).toBe('COMPLETED');
  });
});
