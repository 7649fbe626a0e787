export interface EventQueueOptions<T> {
  /** Values held for a consumer that is not pulling; one more ends the queue with `overflow()`. */
  maxQueued: number;
  /** The last value a consumer sees when it fell more than `maxQueued` behind. */
  overflow: () => T;
  /** Runs exactly once, however the queue ends: drained after `end()`, `return()`, `throw()`. */
  onClose: () => void;
  /**
   * Offered a value while the consumer waits on an empty queue (all before it is delivered):
   * true when it delivered the value itself, around the iterator (socket-frames.ts).
   */
  sendDirect?: (value: T) => boolean;
}

export interface EventQueue<T> {
  push(value: T): void;
  /** No more values: the consumer gets what is queued, then done. */
  end(): void;
  readonly closed: boolean;
  readonly iterator: AsyncIterableIterator<T>;
}

/**
 * A push-fed async iterator: the source of one subscription. graphql-ws pulls from it and calls
 * `return()` on complete and on socket close; each of those paths, and the end of the values,
 * runs `onClose`, which is where the registration is removed. Bounded, so a consumer that stops
 * reading costs at most `maxQueued` values rather than growing the heap.
 */
export function createEventQueue<T>(options: EventQueueOptions<T>): EventQueue<T> {
  const queued: T[] = [];
  let waiting: ((result: IteratorResult<T>) => void) | undefined;
  let ending = false;
  let closed = false;
  const done = (): IteratorResult<T> => ({ done: true, value: undefined });

  function close(): void {
    if (closed) return;
    closed = true;
    queued.length = 0;
    const consumer = waiting;
    waiting = undefined;
    consumer?.(done());
    options.onClose();
  }

  const iterator: AsyncIterableIterator<T> = {
    next() {
      if (queued.length > 0) return Promise.resolve({ done: false, value: queued.shift() as T });
      if (ending || closed) {
        close();
        return Promise.resolve(done());
      }
      return new Promise((resolve) => (waiting = resolve));
    },
    return() {
      close();
      return Promise.resolve(done());
    },
    throw() {
      close();
      return Promise.resolve(done());
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };

  return {
    push(value) {
      if (closed || ending) return;
      if (waiting) {
        if (options.sendDirect?.(value)) return;
        const consumer = waiting;
        waiting = undefined;
        return consumer({ done: false, value });
      }
      if (queued.length < options.maxQueued) return void queued.push(value);
      // Dropping silently would leave a gap the subscriber cannot see; end it with a reason instead.
      queued.length = 0;
      queued.push(options.overflow());
      ending = true;
    },
    end() {
      if (closed || ending) return;
      ending = true;
      if (waiting) close();
    },
    get closed() {
      return closed;
    },
    iterator,
  };
}
