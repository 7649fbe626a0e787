// The soak's load: a child process of run.ts (so that its requests never share the server's or
// the fault schedule's event loop). Each client sends one message at a time, as a chat client
// does, and retries a failed send with the same clientMessageId until it is acked: the server's
// idempotency is what keeps a retried message from being stored twice.
import { soakContent, type SoakAck, type SoakFailure, type SoakLoadJob, type SoakLoadReply, type SoakLoadResult } from './load-protocol.js';

const SEND_MESSAGE = `mutation($input: SendMessageInput!) {
  sendMessage(input: $input) { id threadId seq durability clientMessageId }
}`;

interface Outcome {
  ack?: Omit<SoakAck, 'startedAtSec' | 'ackedAtSec' | 'attempts'>;
  failure?: string;
}

async function sendOnce(job: SoakLoadJob, token: string, input: Record<string, unknown>): Promise<Outcome> {
  try {
    const response = await fetch(job.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: SEND_MESSAGE, variables: { input } }),
      signal: AbortSignal.timeout(job.requestTimeoutMs),
    });
    const body = (await response.json()) as { data?: { sendMessage?: SoakAck } | null; errors?: Array<{ extensions?: { code?: string } }> };
    if (body.data?.sendMessage && !body.errors) return { ack: body.data.sendMessage };
    return { failure: `HTTP ${response.status} ${body.errors?.[0]?.extensions?.code ?? 'no data'}` };
  } catch (error) {
    return { failure: (error as Error).name === 'TimeoutError' ? 'timeout' : `network ${(error as Error).name}` };
  }
}

function secondsSince(job: SoakLoadJob): number {
  return (Date.now() - job.epochMs) / 1000;
}

/** One closed-loop client: a message at a time, each retried until acked or given up. */
async function runClient(job: SoakLoadJob, client: number, result: SoakLoadResult): Promise<void> {
  for (let n = 0; secondsSince(job) < job.stopAtSec; n++) {
    const thread = job.threads[Math.floor(Math.random() * job.threads.length)]!;
    const clientMessageId = `${job.label}-${client}-${n}`;
    const content = soakContent(clientMessageId, job.contentBytes);
    const input = { threadId: thread.threadId, clientMessageId, content };
    const startedAtSec = secondsSince(job);
    for (let attempts = 1; ; attempts++) {
      const outcome = await sendOnce(job, thread.token, input);
      if (outcome.ack) {
        result.acks.push({ ...outcome.ack, startedAtSec, ackedAtSec: secondsSince(job), attempts });
        break;
      }
      result.failures.push({ atSec: secondsSince(job), kind: outcome.failure as string } satisfies SoakFailure);
      if (secondsSince(job) > job.giveUpAtSec) {
        result.unacked.push({ threadId: thread.threadId, clientMessageId });
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, job.retryPauseMs));
    }
  }
}

async function runJob(job: SoakLoadJob): Promise<SoakLoadResult> {
  const result: SoakLoadResult = { acks: [], failures: [], unacked: [] };
  await Promise.all(Array.from({ length: job.clients }, (_, client) => runClient(job, client, result)));
  return result;
}

process.on('message', (job: SoakLoadJob) => {
  void runJob(job).then(
    (result) => process.send?.({ ok: true, result } satisfies SoakLoadReply),
    (error: unknown) => process.send?.({ ok: false, error: String((error as Error)?.stack ?? error) } satisfies SoakLoadReply),
  );
});
process.on('disconnect', () => process.exit(0));
process.send?.({ ready: true });
