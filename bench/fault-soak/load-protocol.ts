/** What run.ts and the soak's load client (a child process) say to each other over IPC. */

/** One thread and its owner's token. */
export interface SoakThread {
  threadId: string;
  token: string;
}

export interface SoakLoadJob {
  url: string;
  threads: SoakThread[];
  /** Concurrent closed-loop senders. */
  clients: number;
  /** Epoch ms the soak's clock starts at; every time in the result is seconds since then. */
  epochMs: number;
  /** Seconds after epochMs at which no new message is started. */
  stopAtSec: number;
  /** Seconds after epochMs by which a message still unacked is given up (it is reported, not hidden). */
  giveUpAtSec: number;
  requestTimeoutMs: number;
  retryPauseMs: number;
  contentBytes: number;
  /** Distinguishes this job's clientMessageIds from any other job's. */
  label: string;
}

/** An acknowledged message, as the client saw it. */
export interface SoakAck {
  id: string;
  threadId: string;
  seq: number;
  durability: 'HOT' | 'DURABLE' | 'ARCHIVED';
  clientMessageId: string;
  /** When the first attempt began and the ack arrived, s since epoch. */
  startedAtSec: number;
  ackedAtSec: number;
  attempts: number;
}

/** A failed attempt (it is retried with the same clientMessageId). */
export interface SoakFailure {
  atSec: number;
  kind: string;
}

export interface SoakLoadResult {
  acks: SoakAck[];
  failures: SoakFailure[];
  /** Messages given up unacked: each may or may not be stored, but at most once. */
  unacked: Array<{ threadId: string; clientMessageId: string }>;
}

export type SoakLoadReply = { ok: true; result: SoakLoadResult } | { ok: false; error: string };

/** A message's content, derived from its clientMessageId so that the check can tell what was sent without shipping it back. */
export function soakContent(clientMessageId: string, bytes: number): string {
  return `${clientMessageId} `.padEnd(bytes, 'x');
}
