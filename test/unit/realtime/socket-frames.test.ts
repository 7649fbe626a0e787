import { describe, expect, it } from 'vitest';
import type { WebSocket } from 'ws';
import { attachSocketFrames, sendDirect, socketFramesOf, writingFramesTogether, type SocketFrames } from '../../../src/realtime/socket-frames.js';

// The direct-frame path against a stand-in for one `ws` socket: what it is handed, when, and in
// which order. Delivery over real sockets is covered by test/integration/realtime-delivery.test.ts.

interface Written {
  socket: string;
  frame: string;
  binary: boolean | undefined;
}

function socketFrames(name: string, written: Written[], operationId: string, state: { bufferedAmount?: number } = {}): SocketFrames {
  const socket = {
    OPEN: 1,
    readyState: 1,
    bufferedAmount: state.bufferedAmount ?? 0,
    send(data: Buffer, options?: { binary?: boolean }) {
      written.push({ socket: name, frame: data.toString('utf8'), binary: options?.binary });
    },
  };
  const context = {};
  attachSocketFrames(context, socket as unknown as WebSocket, operationId);
  const frames = socketFramesOf(context)!;
  frames.render = (payload) => Buffer.from(JSON.stringify({ data: payload }));
  return frames;
}

describe('socket frames', () => {
  it('writes graphql-ws’s own next frame, as text, at once outside a delivery', () => {
    const written: Written[] = [];
    const frames = socketFrames('a', written, 'op-1');
    expect(sendDirect(frames, { seq: 1, content: 'héllo' })).toBe(true);
    expect(written).toEqual([{ socket: 'a', frame: '{"id":"op-1","type":"next","payload":{"data":{"seq":1,"content":"héllo"}}}', binary: false }]);
    expect(JSON.parse(written[0]!.frame)).toEqual({ id: 'op-1', type: 'next', payload: { data: { seq: 1, content: 'héllo' } } });
  });

  it('holds the frames of one delivery until every subscriber had it, then writes them in order', () => {
    const written: Written[] = [];
    const a = socketFrames('a', written, 'op-a');
    const b = socketFrames('b', written, 'op-b');
    writingFramesTogether(() => {
      sendDirect(a, { seq: 1 });
      sendDirect(b, { seq: 1 });
      // A nested delivery joins the outer one rather than writing early.
      writingFramesTogether(() => sendDirect(a, { seq: 2 }));
      expect(written).toEqual([]);
    });
    expect(written.map(({ socket, frame }) => `${socket} ${JSON.parse(frame).payload.data.seq}`)).toEqual(['a 1', 'b 1', 'a 2']);
  });

  it('still writes what was handed over when a subscriber throws, and lets the error through', () => {
    const written: Written[] = [];
    const a = socketFrames('a', written, 'op-a');
    expect(() =>
      writingFramesTogether(() => {
        sendDirect(a, { seq: 1 });
        throw new Error('subscriber failed');
      }),
    ).toThrow('subscriber failed');
    expect(written).toHaveLength(1);
    // Nothing is held back for a later delivery.
    sendDirect(a, { seq: 2 });
    expect(written).toHaveLength(2);
  });

  it('leaves to the usual path a socket with a backlog and a result that cannot be shared', () => {
    const written: Written[] = [];
    expect(sendDirect(socketFrames('a', written, 'op-a', { bufferedAmount: 1024 * 1024 }), { seq: 1 })).toBe(false);
    const unrendered = socketFrames('b', written, 'op-b');
    unrendered.render = () => undefined;
    expect(sendDirect(unrendered, { seq: 1 })).toBe(false);
    expect(written).toEqual([]);
  });
});
