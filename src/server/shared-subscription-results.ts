import { createSourceEventStream, execute, type DocumentNode, type ExecutionArgs, type ExecutionResult } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { ExecutionContext } from '../context/execution-context.js';
import { socketFramesOf } from '../realtime/socket-frames.js';

type Result = ExecutionResult | Promise<ExecutionResult>;

/**
 * Executes each subscription event once per audience instead of once per subscriber. A thread's
 * subscribers are all its owner, and clients mostly send the same document, so one event gives
 * them one result: the tail hands every subscriber of a thread the same payload object
 * (thread-tail.ts), and its result is computed once per (payload, user, document, operation,
 * variables) and shared. The user is part of the key, so no result ever crosses users. Fields
 * read through loaders see the first subscriber's request cache, which for one user is the same
 * data. Masking and the other plugins still run per subscriber, on the shared result, except
 * for frames written straight to a socket (realtime/socket-frames.ts): those carry only results
 * without errors, which per-result hooks (error masking is the only one here) leave unchanged.
 */
export function useSharedSubscriptionResults(): Plugin<ExecutionContext> {
  const documentIds = new WeakMap<DocumentNode, number>();
  let nextDocumentId = 0;
  const results = new WeakMap<object, Map<string, Result>>();
  const renderings = new WeakMap<object, Map<string, Buffer>>();

  function audienceOf(args: ExecutionArgs): string {
    let documentId = documentIds.get(args.document);
    if (documentId === undefined) documentIds.set(args.document, (documentId = nextDocumentId++));
    const userId = (args.contextValue as Partial<ExecutionContext>).userId ?? '';
    return JSON.stringify([userId, documentId, args.operationName ?? null, args.variableValues ?? {}]);
  }

  function resultFor(payload: unknown, audience: string, args: ExecutionArgs): Result {
    if (typeof payload !== 'object' || payload === null) return execute({ ...args, rootValue: payload });
    let byAudience = results.get(payload);
    if (!byAudience) results.set(payload, (byAudience = new Map()));
    let result = byAudience.get(audience);
    if (!result) byAudience.set(audience, (result = execute({ ...args, rootValue: payload })));
    return result;
  }

  /**
   * The JSON bytes of a result, once per (payload, audience), for frames written straight to sockets
   * (realtime/socket-frames.ts). Undefined for a result with errors (those go the usual way, to
   * be masked per subscriber) and for one still resolving: a frame is written synchronously.
   */
  function renderingFor(payload: object, audience: string, args: ExecutionArgs): Buffer | undefined {
    let byAudience = renderings.get(payload);
    const cached = byAudience?.get(audience);
    if (cached !== undefined) return cached;
    const result = resultFor(payload, audience, args);
    if (isPromiseLike(result) || result.errors) return undefined;
    const json = Buffer.from(JSON.stringify(result));
    if (!byAudience) renderings.set(payload, (byAudience = new Map()));
    byAudience.set(audience, json);
    return json;
  }

  async function subscribe(args: ExecutionArgs) {
    const audience = audienceOf(args);
    // Before the source stream opens: its first live event may already be written directly.
    const frames = socketFramesOf(args.contextValue as object);
    if (frames) frames.render = (payload) => renderingFor(payload, audience, args);
    const stream = await createSourceEventStream(args);
    if (!isAsyncIterable(stream)) return stream;
    return mapAsyncIterable(stream, (payload) => resultFor(payload, audience, args));
  }

  return {
    onSubscribe({ setSubscribeFn }) {
      setSubscribeFn(subscribe as never);
    },
  };
}

function isPromiseLike<T>(value: T | Promise<T>): value is Promise<T> {
  return typeof (value as { then?: unknown }).then === 'function';
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return typeof value === 'object' && value !== null && Symbol.asyncIterator in value;
}

/** Maps an async iterable, passing return() through so the source's cleanup runs. */
function mapAsyncIterable<T, U>(source: AsyncIterable<T>, map: (value: T) => U | Promise<U>): AsyncGenerator<U, void, void> {
  const iterator = source[Symbol.asyncIterator]();
  const done = { done: true, value: undefined } as const;
  const mapped: AsyncGenerator<U, void, void> = {
    async next() {
      const item = await iterator.next();
      return item.done ? done : { done: false, value: await map(item.value) };
    },
    async return() {
      await iterator.return?.();
      return done;
    },
    async throw(error) {
      await iterator.return?.();
      throw error;
    },
    [Symbol.asyncIterator]() {
      return mapped;
    },
  };
  return mapped;
}
