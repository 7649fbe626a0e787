import type { WebSocket } from 'ws';
import { realtimeSharedFrames } from '../observability/metrics.js';

/**
 * Lets a subscription's events skip the per-subscriber pipeline (async iterators, graphql-ws's
 * emit, stringify) when nothing can tell the difference: the frame a subscriber gets is the
 * `next` message graphql-ws would have sent, built around a result rendered once per audience.
 *
 * Safe only while that subscriber's pipeline is idle (its consumer waits on an empty queue, so
 * everything before was already handed to the socket); the event queue checks that before it
 * calls `sendDirect`. Whatever cannot go this way (an error, a result with errors or one that
 * resolves asynchronously, a socket with a backlog) goes the usual way, in order.
 */
export interface SocketFrames {
  socket: WebSocket;
  /**
   * A `next` frame up to its payload, with graphql-ws's ID of the subscribe operation, as bytes:
   * made once per subscription, not per event.
   */
  framePrefix: Buffer;
  /** The result's JSON bytes for this subscriber's audience, or undefined when it must go the usual way. Set by shared-subscription-results. */
  render?: (payload: object) => Buffer | undefined;
}

/** A socket holding more unsent bytes than this gets its events the usual way, where the slow-subscriber bound applies. */
const MAX_BUFFERED_BYTES = 256 * 1024;

const FRAMES = Symbol('socketFrames');
const FRAME_END = Buffer.from('}');
/**
 * Bytes go out as one text frame, as graphql-ws's own strings do. Bytes rather than a string:
 * the shared JSON is encoded once per audience, not once per subscriber.
 */
const TEXT_FRAME = { binary: false } as const;

/**
 * Frames handed over while one event is delivered to a thread's subscribers (writingFramesTogether),
 * written once every subscriber has had it. Each socket write is a kernel call that evicts the CPU
 * caches, so interleaving writes with the per-subscriber bookkeeping made that bookkeeping cost
 * several times what it does back to back.
 */
let pendingWrites: Array<[WebSocket, Buffer]> | null = null;

/** Runs `deliver`, then writes the frames it handed to sockets, in order. Nested calls join the outer one. */
export function writingFramesTogether(deliver: () => void): void {
  if (pendingWrites) return deliver();
  const writes: Array<[WebSocket, Buffer]> = (pendingWrites = []);
  try {
    deliver();
  } finally {
    pendingWrites = null;
    for (const [socket, frame] of writes) socket.send(frame, TEXT_FRAME);
  }
}

/** Marks an operation's context as served over this socket, under this operation ID. */
export function attachSocketFrames(context: object, socket: WebSocket, operationId: string): void {
  const frames: SocketFrames = { socket, framePrefix: Buffer.from(`{"id":${JSON.stringify(operationId)},"type":"next","payload":`) };
  (context as { [FRAMES]?: SocketFrames })[FRAMES] = frames;
}

export function socketFramesOf(context: object): SocketFrames | undefined {
  return (context as { [FRAMES]?: SocketFrames })[FRAMES];
}

/**
 * Writes `payload`'s `next` frame straight to the socket; false when it must go the usual way.
 * Takes the frames looked up once per subscription (socketFramesOf), not the context: this runs
 * per subscriber per event.
 */
export function sendDirect(frames: SocketFrames, payload: object): boolean {
  if (!frames.render) return false;
  const { socket } = frames;
  if (socket.readyState !== socket.OPEN || socket.bufferedAmount > MAX_BUFFERED_BYTES) return false;
  const json = frames.render(payload);
  if (json === undefined) return false;
  const { framePrefix } = frames;
  const frame = Buffer.concat([framePrefix, json, FRAME_END], framePrefix.length + json.length + FRAME_END.length);
  if (pendingWrites) pendingWrites.push([socket, frame]);
  else socket.send(frame, TEXT_FRAME);
  realtimeSharedFrames.inc();
  return true;
}
