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
  /** A `next` frame up to its payload, with graphql-ws's ID of the subscribe operation: made once, not per event. */
  framePrefix: string;
  /** The result's JSON for this subscriber's audience, or undefined when it must go the usual way. Set by shared-subscription-results. */
  render?: (payload: object) => string | undefined;
}

/** A socket holding more unsent bytes than this gets its events the usual way, where the slow-subscriber bound applies. */
const MAX_BUFFERED_BYTES = 256 * 1024;

const FRAMES = Symbol('socketFrames');

/** Marks an operation's context as served over this socket, under this operation ID. */
export function attachSocketFrames(context: object, socket: WebSocket, operationId: string): void {
  const frames: SocketFrames = { socket, framePrefix: `{"id":${JSON.stringify(operationId)},"type":"next","payload":` };
  (context as { [FRAMES]?: SocketFrames })[FRAMES] = frames;
}

export function socketFramesOf(context: object): SocketFrames | undefined {
  return (context as { [FRAMES]?: SocketFrames })[FRAMES];
}

/** Writes `payload`'s `next` frame straight to the socket; false when it must go the usual way. */
export function sendDirect(context: object, payload: object): boolean {
  const frames = socketFramesOf(context);
  if (!frames?.render) return false;
  const { socket } = frames;
  if (socket.readyState !== socket.OPEN || socket.bufferedAmount > MAX_BUFFERED_BYTES) return false;
  const json = frames.render(payload);
  if (json === undefined) return false;
  socket.send(`${frames.framePrefix}${json}}`);
  realtimeSharedFrames.inc();
  return true;
}
