import { print } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SendMessagePartsDocument, type SendMessagePartsMutation, type SendMessagePartsMutationVariables } from '../../examples/generated/graphql.js';
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
