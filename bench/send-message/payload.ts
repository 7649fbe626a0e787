/** The sendMessage request the load clients send: a realistic chat message of a few hundred bytes. */

export const SEND_MESSAGE_MUTATION =
  'mutation Send($input: SendMessageInput!) { sendMessage(input: $input) { id threadId seq durability createdAt } }';

const WORDS = (
  'the a to of and in that is for it with as on be at by this have from or one had not but what all were when we there can ' +
  'an your which their said if do will each about how up out them then she many some so these would other into has more her ' +
  'two like him see time could no make than first been its who now people my made over did down only way find use may water ' +
  'long little very after words called just where most know get through back much before go good new write our used me man ' +
  'itinerary budget flight hotel museum dinner train station booking refund schedule meeting summary draft review deploy'
).split(' ');

/**
 * Message text of about `bytes` UTF-8 bytes, different for every `n` (a cheap LCG over a word
 * list), so Postgres and Redis never see the same row twice.
 */
export function messageContent(n: number, bytes: number): string {
  let state = (n * 2654435761 + 12345) >>> 0;
  const parts: string[] = [`#${n}`];
  let length = parts[0]!.length;
  while (length < bytes) {
    state = (state * 1664525 + 1013904223) >>> 0;
    const word = WORDS[state % WORDS.length] as string;
    parts.push(word);
    length += word.length + 1;
  }
  return parts.join(' ').slice(0, bytes);
}

/** The JSON body of one sendMessage request. */
export function sendMessageBody(threadId: string, n: number, contentBytes: number): string {
  return JSON.stringify({
    query: SEND_MESSAGE_MUTATION,
    operationName: 'Send',
    variables: {
      input: {
        threadId,
        content: messageContent(n, contentBytes),
        metadata: { client: 'bench', locale: 'en-GB', n },
      },
    },
  });
}

/** The structured send: the five kinds of part in one message; the same selection as the text send. */
export const SEND_PARTS_MUTATION =
  'mutation SendParts($input: SendMessageInput!) { sendMessage(input: $input) { id threadId seq durability createdAt } }';

/**
 * One sendMessage request with five parts (reasoning, text of about `contentBytes`, a tool call,
 * the result of the thread's previous call, a file), as an agent's turn writes them. Every
 * message opens call `c<n>` and answers `answersCallId`, so the tool-call rules run on every send.
 */
export function sendPartsBody(threadId: string, n: number, contentBytes: number, answersCallId: string): string {
  return JSON.stringify({
    query: SEND_PARTS_MUTATION,
    operationName: 'SendParts',
    variables: {
      input: {
        threadId,
        role: 'ASSISTANT',
        parts: [
          { reasoning: messageContent(n + 1, 80) },
          { text: messageContent(n, contentBytes) },
          { toolCall: { callId: `c${n}`, name: 'search', arguments: { query: messageContent(n + 2, 40), limit: 5 } } },
          { toolResult: { callId: answersCallId, output: { hits: 3, first: messageContent(n + 3, 40) } } },
          { file: { uri: `https://files.example/${n}.png`, mediaType: 'image/png', name: `${n}.png`, sizeBytes: 2048 } },
        ],
        metadata: { client: 'bench', locale: 'en-GB', n },
      },
    },
  });
}

/** The call a thread opens before its first structured send, so that send has a call to answer. */
export const seedCallId = (threadId: string) => `seed-${threadId}`;
