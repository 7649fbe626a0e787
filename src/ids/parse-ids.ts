import { InvalidIdError, InvalidInputError } from '../errors/domain-errors.js';
import {
  EXPECTED_FORMAT,
  LEGACY_PREFIXED_RUN_REGEX,
  MESSAGE_ID_REGEX,
  RUN_ID_REGEX,
  THREAD_ID_REGEX,
} from './id-formats.js';
import type { MessageId, NodeId, RunId, ThreadId } from './id-types.js';

const MAX_ID_LENGTH = 256;

/**
 * The old system double-prefixed thread IDs (`thread_thread_...`, sometimes more than once).
 * Dropping the extra prefixes recovers the canonical ID. They go one at a time, stopping at the
 * first form that matches, because "thread" is itself a valid origin: `thread_thread_<epochMs>…`
 * is canonical and must not collapse to `thread_<epochMs>…`. `lead` is text kept in front
 * (`run_` for legacy run IDs). Returns undefined when no form matches.
 */
function repairThreadPrefix(value: string, format: RegExp, lead = ''): string | undefined {
  let candidate = value;
  while (!format.test(candidate)) {
    if (!candidate.startsWith(`${lead}thread_thread_`)) return undefined;
    candidate = lead + candidate.slice(lead.length + 'thread_'.length);
  }
  return candidate;
}

function invalid(kind: keyof typeof EXPECTED_FORMAT, value: unknown): InvalidIdError {
  const shown = typeof value === 'string' ? JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value) : describe(value);
  return new InvalidIdError(`Invalid ${kind} ID ${shown}: expected ${EXPECTED_FORMAT[kind]}`, { value, kind });
}

/** String() throws for null-prototype objects and throwing toString()s; the error must not. */
function describe(value: unknown): string {
  try {
    return String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}

function asCandidate(kind: keyof typeof EXPECTED_FORMAT, value: unknown): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_ID_LENGTH) throw invalid(kind, value);
  return value;
}

export function parseThreadId(value: unknown): ThreadId {
  const repaired = repairThreadPrefix(asCandidate('thread', value), THREAD_ID_REGEX);
  if (repaired === undefined) throw invalid('thread', value);
  return repaired as ThreadId;
}

/**
 * Accepts the canonical `<threadId>_run_<epochMs>_<hex8>`, the legacy `thread_<threadId>_run_…`
 * (a double prefix, repaired) and the legacy `run_<threadId>_<hex8>`. The last has no timestamp;
 * it takes its thread's, so the same legacy ID always maps to the same canonical one.
 */
export function parseRunId(value: unknown): RunId {
  const candidate = asCandidate('run', value);
  const legacy = LEGACY_PREFIXED_RUN_REGEX.exec(repairThreadPrefix(candidate, LEGACY_PREFIXED_RUN_REGEX, 'run_') ?? '');
  if (legacy) {
    const threadId = legacy[1] as ThreadId;
    return `${threadId}_run_${epochMsOfThread(threadId)}_${legacy[2]}` as RunId;
  }
  const repaired = repairThreadPrefix(candidate, RUN_ID_REGEX);
  if (repaired === undefined) throw invalid('run', value);
  return repaired as RunId;
}

export function parseMessageId(value: unknown): MessageId {
  const candidate = asCandidate('message', value);
  if (!MESSAGE_ID_REGEX.test(candidate)) throw invalid('message', value);
  return candidate as MessageId;
}

/** Parses any node ID; its shape alone decides the kind (run IDs start like thread IDs, so runs go first). */
export function parseNodeId(value: unknown): NodeId {
  for (const attempt of NODE_PARSERS) {
    try {
      return attempt(value);
    } catch (error) {
      if (!(error instanceof InvalidIdError)) throw error;
    }
  }
  throw invalid('node', value);
}

const NODE_PARSERS: Array<(value: unknown) => NodeId> = [
  (value) => ({ kind: 'run', id: parseRunId(value) }),
  (value) => ({ kind: 'thread', id: parseThreadId(value) }),
  (value) => ({ kind: 'message', id: parseMessageId(value) }),
];

/** The thread a run belongs to, read from the run ID itself. */
export function threadIdOf(runId: RunId): ThreadId {
  const match = RUN_ID_REGEX.exec(runId);
  if (!match) throw invalid('run', runId);
  return match[1] as ThreadId;
}

/** Both IDs are valid but do not pair up: that is a bad request, not a bad ID. */
export function assertRunInThread(runId: RunId, threadId: ThreadId): void {
  if (threadIdOf(runId) !== threadId) {
    throw new InvalidInputError(`Run ${runId} does not belong to thread ${threadId}`, { runId, threadId });
  }
}

function epochMsOfThread(threadId: ThreadId): string {
  // thread_<origin>_<epochMs>_<counter>_<hex8>: the origin cannot contain "_", so fields split cleanly.
  const fields = threadId.split('_');
  return fields[2] as string;
}
