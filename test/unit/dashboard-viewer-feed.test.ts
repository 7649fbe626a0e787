import { describe, expect, it, vi } from 'vitest';
import { ApiError, type Api } from '../../dashboard/src/api.js';
import { ViewerFeed, type ViewerEvent } from '../../dashboard/src/viewer-feed.js';

type Sink = { next: (data: unknown) => void; error: (error: ApiError) => void };

/** An Api whose one socket the test drives: what was subscribed with which variables, and reconnects. */
function fakeApi() {
  const subscriptions: Array<{ variables: () => unknown; sink: Sink }> = [];
  const reconnected: Array<() => void> = [];
  const api = {
    request: () => Promise.reject(new Error('not used')),
    subscribe: (_document: unknown, variables: () => unknown, sink: Sink) => {
      subscriptions.push({ variables, sink });
      return () => {};
    },
    connected: () => Promise.resolve(),
    onReconnected: (listener: () => void) => {
      reconnected.push(listener);
      return () => {};
    },
    close: () => {},
  } as unknown as Api;
  const latest = () => subscriptions.at(-1)!;
  return {
    api,
    subscriptions,
    deliver: (event: ViewerEvent) => latest().sink.next({ viewerEvents: event }),
    reconnect: () => reconnected.forEach((listener) => listener()),
  };
}

const deleted = (cursor: string): ViewerEvent => ({ __typename: 'ViewerThreadDeleted', cursor, threadId: `thread-${cursor}` });

function feedWith(api: Api) {
  const events: string[] = [];
  let reads = 0;
  let finishRead: () => void = () => {};
  const feed = new ViewerFeed(api, {
    reload: () => {
      reads++;
      return new Promise<void>((resolve) => (finishRead = resolve));
    },
    event: (event) => events.push(event.cursor),
    error: (error) => events.push(`error: ${error.message}`),
  });
  return { feed, events, reads: () => reads, finishRead: () => finishRead() };
}

/** A feed started on `api` whose first list read has finished. */
async function startedFeed(api: Api) {
  const started = feedWith(api);
  const starting = started.feed.start();
  await vi.waitFor(() => expect(started.reads()).toBe(1));
  started.finishRead();
  await starting;
  return started;
}

describe("the dashboard's viewer feed", () => {
  it('subscribes before it reads the list, and applies what arrived meanwhile after it', async () => {
    const socket = fakeApi();
    const { feed, events, reads, finishRead } = feedWith(socket.api);
    const started = feed.start();
    expect(socket.subscriptions).toHaveLength(1);
    expect(socket.subscriptions[0]!.variables()).toEqual({ after: null });
    await vi.waitFor(() => expect(reads()).toBe(1));
    socket.deliver(deleted('1-0'));
    expect(events).toEqual([]);
    finishRead();
    await started;
    expect(events).toEqual(['1-0']);
  });

  it('resubscribes after the last cursor on a reconnect, without reading the list again', async () => {
    const socket = fakeApi();
    const { events, reads } = await startedFeed(socket.api);
    socket.deliver(deleted('1-0'));
    socket.deliver(deleted('2-0'));
    socket.reconnect();
    // graphql-ws reads the variables anew when it subscribes again.
    expect(socket.subscriptions[0]!.variables()).toEqual({ after: '2-0' });
    expect(reads()).toBe(1);
    expect(events).toEqual(['1-0', '2-0']);
  });

  it('reads the list again on a reconnect with no cursor to resume from', async () => {
    const socket = fakeApi();
    const { reads } = await startedFeed(socket.api);
    socket.reconnect();
    await vi.waitFor(() => expect(reads()).toBe(2));
  });

  it('starts over from now when the feed no longer has the cursor (REPLAY_UNAVAILABLE), and stops on other errors', async () => {
    const socket = fakeApi();
    const { events, reads } = await startedFeed(socket.api);
    socket.deliver(deleted('1-0'));
    socket.subscriptions[0]!.sink.error(new ApiError('too far back', false, 'REPLAY_UNAVAILABLE'));
    expect(socket.subscriptions).toHaveLength(2);
    expect(socket.subscriptions[1]!.variables()).toEqual({ after: null });
    await vi.waitFor(() => expect(reads()).toBe(2));
    socket.subscriptions[1]!.sink.error(new ApiError('no Redis tier', false, 'BAD_USER_INPUT'));
    expect(socket.subscriptions).toHaveLength(2);
    expect(events).toEqual(['1-0', 'error: no Redis tier']);
  });
});
