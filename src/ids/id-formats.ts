/**
 * The canonical ID formats. Postgres CHECK constraints in migrations/ repeat these patterns
 * (migrations never import app code), so a change here needs a migration there.
 */

/** Lowercase slug naming where a thread was created: `session`, `api`, `websocket`. */
export const ORIGIN_PATTERN = '[a-z][a-z0-9-]{0,31}';
const EPOCH_MS = '[0-9]{13}';
const COUNTER = '[0-9]{1,15}';
const HEX8 = '[0-9a-f]{8}';

export const THREAD_ID_PATTERN = `thread_${ORIGIN_PATTERN}_${EPOCH_MS}_${COUNTER}_${HEX8}`;
export const RUN_SUFFIX_PATTERN = `_run_${EPOCH_MS}_${HEX8}`;
export const RUN_ID_PATTERN = `${THREAD_ID_PATTERN}${RUN_SUFFIX_PATTERN}`;
export const MESSAGE_ID_PATTERN = `msg_${EPOCH_MS}_${COUNTER}_${HEX8}`;

export const THREAD_ID_REGEX = new RegExp(`^${THREAD_ID_PATTERN}$`);
export const RUN_ID_REGEX = new RegExp(`^(${THREAD_ID_PATTERN})${RUN_SUFFIX_PATTERN}$`);
export const MESSAGE_ID_REGEX = new RegExp(`^${MESSAGE_ID_PATTERN}$`);
export const REQUEST_ID_REGEX = /^req_[0-9a-z]{1,16}_[0-9a-f]{8}$/;
export const CONNECTION_ID_REGEX = /^conn_[0-9a-z]{1,16}_[0-9a-f]{8}$/;

/** Legacy `run_<threadId>_<hex8>`: no timestamp of its own. */
export const LEGACY_PREFIXED_RUN_REGEX = new RegExp(`^run_(${THREAD_ID_PATTERN})_(${HEX8})$`);

/** Human-readable formats, quoted in INVALID_ID errors so the caller knows what to send. */
export const EXPECTED_FORMAT = {
  thread: 'thread_<origin>_<epochMs>_<counter>_<hex8>, e.g. thread_session_1757372478799_528_584ef8a5',
  run: '<threadId>_run_<epochMs>_<hex8>, e.g. thread_session_1757372478799_528_584ef8a5_run_1757372479002_9c1d22aa',
  message: 'msg_<epochMs>_<counter>_<hex8>, e.g. msg_1757372479002_17_0b1c2d3e',
  node: 'a thread, run or message ID',
} as const;
