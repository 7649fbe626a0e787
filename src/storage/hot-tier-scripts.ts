import { luaScript } from './lua-script.js';
import { CHANNEL_PREFIX } from './redis-keys.js';
import { THREAD_EVENT_LOG_LUA } from './thread-event-log.js';

/**
 * Lua run atomically inside Redis. Per-thread keys share a hash tag; the stream is global
 * (see README: under Redis Cluster it would be sharded by the same tag).
 */

/**
 * KEYS: meta, window, clientIds, runs, stream, draft, unpersistedIndex, toolCalls, viewerFeed, events, eventsFloor
 * ARGV: ownerId, recordJsonWithoutSeq, clientMessageId ('' = none), runId ('' = none),
 *       channel, windowSize, clientIdsCheckedInPostgres ('1'/'0'), ttlSeconds,
 *       startsDraft ('1' for a streaming message: its draft is created in the same step), threadId,
 *       the callIds the message opens and the ones it answers (each space-separated, '' = none),
 *       the streamable kinds of a draft's parts (part-streaming.ts: one letter per part), and the
 *       bytes its parts start with (what deltas may add is MAX_MESSAGE_BYTES less those), the owner's
 *       viewer channel and the feed's cap (viewer-feed.ts: the ThreadActivity entry and its announcement;
 *       the feed lives as long as the thread's hot state, ttlSeconds, from its newest event), and the
 *       thread event log's cap (thread-event-log.ts: MessageAdded is logged and published as one)
 * Reply: {status, ...}: COLD | NOT_FOUND | ARCHIVED | CHECK_CLIENT_ID | CHECK_RUN | CHECK_TOOL_CALLS
 *        | TOOL_CALL_EXISTS callId | UNKNOWN_TOOL_CALL callId | TOOL_CALL_ANSWERED callId
 *        | DUPLICATE json persisted archived | OK seq persisted archived (the caller has the record; only its seq is new)
 * The toolCalls hash (callId → open | answered) is the whole thread's once meta's callsIndexed is
 * 1: a new thread starts indexed, an older one is indexed from Postgres on its first tool message
 * (CHECK_TOOL_CALLS, then INDEX_TOOL_CALLS), and a re-seed un-indexes it.
 */
export const SEND_MESSAGE = luaScript(`${THREAD_EVENT_LOG_LUA}
local meta = redis.call('HMGET', KEYS[1], 'owner', 'status', 'persisted', 'archived', 'coldClientIds', 'callsIndexed')
if not meta[1] then return {'COLD'} end
if meta[1] ~= ARGV[1] or meta[2] == 'DELETED' then return {'NOT_FOUND'} end
if meta[2] ~= 'ACTIVE' then return {'ARCHIVED'} end
local clientId = ARGV[3]
if clientId ~= '' then
  local earlier = redis.call('HGET', KEYS[3], clientId)
  if earlier then return {'DUPLICATE', earlier, meta[3], meta[4]} end
  if meta[5] == '1' and ARGV[7] ~= '1' then return {'CHECK_CLIENT_ID'} end
end
if ARGV[4] ~= '' and redis.call('SISMEMBER', KEYS[4], ARGV[4]) == 0 then return {'CHECK_RUN'} end
if ARGV[11] ~= '' or ARGV[12] ~= '' then
  if meta[6] ~= '1' then return {'CHECK_TOOL_CALLS'} end
  for callId in string.gmatch(ARGV[11], '%S+') do
    if redis.call('HEXISTS', KEYS[8], callId) == 1 then return {'TOOL_CALL_EXISTS', callId} end
  end
  for callId in string.gmatch(ARGV[12], '%S+') do
    local state = redis.call('HGET', KEYS[8], callId)
    if not state then return {'UNKNOWN_TOOL_CALL', callId} end
    if state == 'answered' then return {'TOOL_CALL_ANSWERED', callId} end
  end
  for callId in string.gmatch(ARGV[11], '%S+') do redis.call('HSET', KEYS[8], callId, 'open') end
  for callId in string.gmatch(ARGV[12], '%S+') do redis.call('HSET', KEYS[8], callId, 'answered') end
end
local seq = redis.call('HINCRBY', KEYS[1], 'seq', 1)
-- The record arrives as JSON without its seq; the seq goes in front. Decoding and re-encoding it
-- with cjson instead would turn an empty metadata array into an object and re-escape text.
local json = '{"seq":' .. seq .. ',' .. string.sub(ARGV[2], 2)
redis.call('RPUSH', KEYS[2], json)
-- Keep the configured window, but never trim a message Postgres does not have yet:
-- the window is what makes an acked message readable before the persister catches up.
local keep = math.max(tonumber(ARGV[6]), seq - tonumber(meta[3]))
redis.call('LTRIM', KEYS[2], -keep, -1)
if clientId ~= '' then redis.call('HSET', KEYS[3], clientId, json) end
redis.call('XADD', KEYS[5], '*', 'type', 'message', 'data', json)
redis.call('SET', KEYS[7], ARGV[10] .. ':' .. seq, 'EX', ARGV[8])
appendThreadEvent(KEYS[10], KEYS[11], ARGV[10], ARGV[5], ARGV[17], ARGV[8], '{"type":"MessageAdded","seq":' .. seq .. ',"message":' .. json .. '}', '')
local cursor = redis.call('XADD', KEYS[9], 'MAXLEN', '~', ARGV[16], '*', 'type', 'ThreadActivity', 'data', json)
redis.call('EXPIRE', KEYS[9], ARGV[8])
redis.call('PUBLISH', ARGV[15], cursor .. '\\nThreadActivity\\n' .. json)
for i = 1, 4 do redis.call('EXPIRE', KEYS[i], ARGV[8]) end
redis.call('EXPIRE', KEYS[8], ARGV[8])
if ARGV[9] == '1' then
  redis.call('HSET', KEYS[6], 'owner', ARGV[1], 'channel', ARGV[5], 'seq', seq, 'record', json, 'chunks', 0, 'bytes', ARGV[14],
    'kinds', ARGV[13], 'meta', KEYS[1], 'events', KEYS[10], 'eventsFloor', KEYS[11])
  redis.call('EXPIRE', KEYS[6], ARGV[8])
end
return {'OK', seq, meta[3], meta[4]}
`);

/**
 * Seeds a thread's hot state from Postgres, unless another instance already did, or the thread
 * has been erased since Postgres was asked (-1: it is gone). A thread with messages in Postgres
 * starts with its client-ID index and its tool-call index incomplete.
 * KEYS: meta, erasedThreads  ARGV: owner, status, lastSeq, ttlSeconds, threadId
 */
export const INIT_THREAD = luaScript(`
if redis.call('ZSCORE', KEYS[2], redis.sha1hex(ARGV[5])) then return -1 end
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
local cold, indexed = '0', '1'
if tonumber(ARGV[3]) > 0 then cold, indexed = '1', '0' end
redis.call('HSET', KEYS[1], 'owner', ARGV[1], 'status', ARGV[2], 'seq', ARGV[3], 'persisted', ARGV[3], 'archived', '0',
  'coldClientIds', cold, 'callsIndexed', indexed)
redis.call('EXPIRE', KEYS[1], ARGV[4])
return 1
`);

/**
 * Re-seeds a thread whose messages were written to Postgres while Redis was unreachable:
 * the counter continues from Postgres and the window, no longer contiguous, starts empty.
 * The client-ID index stays complete without asking Postgres: every message of the outage
 * reaches it through the outbox relay (RECORD_CLIENT_ID) before the fast path resumes, so a
 * retry is recognised, and a new send acked, from Redis alone, even while Postgres is down.
 * The tool-call index is not: it is rebuilt from Postgres on the thread's next tool message.
 * KEYS: meta, window  ARGV: lastSeq
 */
export const RESEED_THREAD = luaScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'seq', ARGV[1], 'persisted', ARGV[1], 'callsIndexed', '0')
redis.call('DEL', KEYS[2])
return 1
`);

/**
 * Completes a thread's tool-call index from Postgres. Calls sent through Redis meanwhile are
 * already in it, and an answered call stays answered: Postgres's `open` never overwrites.
 * KEYS: meta, toolCalls  ARGV: ttlSeconds, then callId, state (open | answered) pairs
 */
export const INDEX_TOOL_CALLS = luaScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
for i = 2, #ARGV, 2 do
  if ARGV[i + 1] == 'answered' then redis.call('HSET', KEYS[2], ARGV[i], 'answered')
  else redis.call('HSETNX', KEYS[2], ARGV[i], 'open') end
end
redis.call('HSET', KEYS[1], 'callsIndexed', '1')
redis.call('EXPIRE', KEYS[2], ARGV[1])
return 1
`);

/**
 * Adds a message committed in Postgres (relayed from the outbox) to its thread's client-ID
 * index, if the thread is hot; a cold thread's index is rebuilt on demand (coldClientIds).
 * KEYS: meta, clientIds  ARGV: clientMessageId, recordJson, ttlSeconds
 */
export const RECORD_CLIENT_ID = luaScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
redis.call('EXPIRE', KEYS[2], ARGV[3])
return 1
`);

/**
 * Appends a chunk to one part of a streaming message and publishes it, in one step. Part i's text
 * so far is the key draftContent (i = 0) or draftContent:i, so a delta never rewrites what came
 * before; the draft's `kinds` says which parts stream (a draft from before parts: one text part).
 * Refused once its thread is archived: the draft names its thread's meta key and event log (keys not
 * declared in KEYS, like the part keys, so under Redis Cluster they must share the draft's hash slot;
 * see README). The delta is logged tagged with its message, and the draft keeps its first delta's
 * entry ID, from where FINISH_DRAFT finds the deltas to compact. A draft made before event logs
 * names none: its deltas are published only.
 * KEYS: draft, draftContent  ARGV: ownerId, messageId, delta, maxBytes, partIndex, logMaxEvents, ttlSeconds
 * Reply: NO_DRAFT | NOT_FOUND | ARCHIVED | TOO_LARGE | NOT_STREAMABLE kinds | OK record content0 content1 …
 */
export const APPEND_DELTA = luaScript(`${THREAD_EVENT_LOG_LUA}
local draft = redis.call('HMGET', KEYS[1], 'owner', 'channel', 'seq', 'record', 'meta', 'kinds', 'bytes', 'events', 'eventsFloor')
if not draft[1] then return {'NO_DRAFT'} end
if draft[1] ~= ARGV[1] then return {'NOT_FOUND'} end
if draft[5] and redis.call('HGET', draft[5], 'status') == 'ARCHIVED' then return {'ARCHIVED'} end
local kinds = draft[6] or 't'
local part = tonumber(ARGV[5])
if part >= string.len(kinds) or string.sub(kinds, part + 1, part + 1) == '-' then return {'NOT_STREAMABLE', kinds} end
local bytes = math.max(tonumber(draft[7] or '0'), redis.call('STRLEN', KEYS[2]))
if bytes + string.len(ARGV[3]) > tonumber(ARGV[4]) then return {'TOO_LARGE'} end
local partKey = KEYS[2]
if part > 0 then partKey = KEYS[2] .. ':' .. part end
redis.call('APPEND', partKey, ARGV[3])
redis.call('HSET', KEYS[1], 'bytes', bytes + string.len(ARGV[3]))
local index = redis.call('HINCRBY', KEYS[1], 'chunks', 1) - 1
local threadId = string.sub(draft[2], string.len('${CHANNEL_PREFIX}') + 1)
local event = cjson.encode({type = 'MessageDelta', threadId = threadId, messageId = ARGV[2],
  seq = tonumber(draft[3]), index = index, partIndex = part, delta = ARGV[3]})
if draft[8] then
  local entry = appendThreadEvent(draft[8], draft[9], threadId, draft[2], ARGV[6], ARGV[7], event, ARGV[2])
  if entry ~= '' then redis.call('HSETNX', KEYS[1], 'firstDelta', entry) end
else
  redis.call('PUBLISH', draft[2], event)
end
local ttl = redis.call('TTL', KEYS[1])
local reply = {'OK', draft[4]}
for i = 0, string.len(kinds) - 1 do
  local key = KEYS[2]
  if i > 0 then key = KEYS[2] .. ':' .. i end
  if ttl > 0 and redis.call('EXISTS', key) == 1 then redis.call('EXPIRE', key, ttl) end
  reply[#reply + 1] = redis.call('GET', key) or ''
end
return reply
`);

/**
 * KEYS: draft, draftContent  ARGV: ownerId
 * Reply: NO_DRAFT | NOT_FOUND | OK record chunks content0 content1 … (one per part, as APPEND_DELTA keeps them)
 */
export const READ_DRAFT = luaScript(`
local draft = redis.call('HMGET', KEYS[1], 'owner', 'record', 'chunks', 'kinds')
if not draft[1] then return {'NO_DRAFT'} end
if draft[1] ~= ARGV[1] then return {'NOT_FOUND'} end
local reply = {'OK', draft[2], draft[3] or '0'}
for i = 0, string.len(draft[4] or 't') - 1 do
  local key = KEYS[2]
  if i > 0 then key = KEYS[2] .. ':' .. i end
  reply[#reply + 1] = redis.call('GET', key) or ''
end
return reply
`);

/**
 * Completes a streaming message: replaces its window entry, queues its final form for Postgres,
 * publishes MessageCompleted, drops the draft. Refuses (RETRY) if a delta landed since the
 * caller read the draft (its chunk count moved), so no chunk is lost. The entry is found by index, as READ_WINDOW_SLICE
 * finds it (seq s at s - firstSeq), not by reading its JSON, and replaced only if it is still the
 * entry the draft began as: after a re-seed the same seq can name another message. The message's
 * deltas leave the thread's event log as its completion enters it (compaction, thread-event-log.ts).
 * KEYS: draft, draftContent, window, stream, meta, events, eventsFloor
 * ARGV: ownerId, seq, finalRecordJson, expectedChunks, messageId, threadId, logMaxEvents, ttlSeconds
 */
export const FINISH_DRAFT = luaScript(`${THREAD_EVENT_LOG_LUA}
local draft = redis.call('HMGET', KEYS[1], 'owner', 'channel', 'record', 'chunks', 'kinds', 'firstDelta')
if not draft[1] then return {'NO_DRAFT'} end
if draft[1] ~= ARGV[1] then return {'NOT_FOUND'} end
if (draft[4] or '0') ~= ARGV[4] then return {'RETRY'} end
local seq = tonumber(ARGV[2])
local last = tonumber(redis.call('HGET', KEYS[5], 'seq') or '0')
local first = last - redis.call('LLEN', KEYS[3]) + 1
if seq >= first and seq <= last and redis.call('LINDEX', KEYS[3], seq - first) == draft[3] then
  redis.call('LSET', KEYS[3], seq - first, ARGV[3])
end
redis.call('XADD', KEYS[4], '*', 'type', 'messageCompleted', 'data', ARGV[3])
if draft[6] then
  for _, entry in ipairs(redis.call('XRANGE', KEYS[6], draft[6], '+')) do
    if entry[2][3] == 'd' and entry[2][4] == ARGV[5] then redis.call('XDEL', KEYS[6], entry[1]) end
  end
end
appendThreadEvent(KEYS[6], KEYS[7], ARGV[6], draft[2], ARGV[7], ARGV[8], '{"type":"MessageCompleted","seq":' .. ARGV[2] .. ',"message":' .. ARGV[3] .. '}', '')
redis.call('DEL', KEYS[1], KEYS[2])
for i = 1, string.len(draft[5] or 't') - 1 do redis.call('DEL', KEYS[2] .. ':' .. i) end
return {'OK'}
`);

/**
 * Brings a thread's hot state in step with an edit or a deletion committed in Postgres (relayed
 * from the outbox): replaces the message's window entry with the record of its new revision, and
 * its client-ID entry if it has one, queues the record for the archiver and publishes the event.
 * The entry is found by index (seq s at s - firstSeq, as READ_WINDOW_SLICE finds it) and replaced
 * only if it is still that message at an older revision: after a re-seed the same seq can name
 * another message, and a repeated relay must not put an older revision back. The entry is decoded
 * to read its id and revision, never re-encoded: the new record arrives whole, built by the codec.
 * KEYS: meta, window, stream, clientIds, events, eventsFloor
 * ARGV: seq, messageId, revision, recordJson, streamType, channel, eventJson, clientMessageId ('' = none),
 *       threadId, logMaxEvents, ttlSeconds
 * Reply: 1 when the window entry was replaced, 0 when the window does not hold it (or holds it newer)
 */
export const REPLACE_WINDOW_ENTRY = luaScript(`${THREAD_EVENT_LOG_LUA}
local seq = tonumber(ARGV[1])
local last = tonumber(redis.call('HGET', KEYS[1], 'seq') or '0')
local first = last - redis.call('LLEN', KEYS[2]) + 1
local replaced = 0
if seq >= first and seq <= last then
  local ok, entry = pcall(cjson.decode, redis.call('LINDEX', KEYS[2], seq - first))
  if ok and type(entry) == 'table' and entry.id == ARGV[2] and (tonumber(entry.revision) or 1) < tonumber(ARGV[3]) then
    redis.call('LSET', KEYS[2], seq - first, ARGV[4])
    replaced = 1
  end
end
if ARGV[8] ~= '' and redis.call('HEXISTS', KEYS[4], ARGV[8]) == 1 then redis.call('HSET', KEYS[4], ARGV[8], ARGV[4]) end
redis.call('XADD', KEYS[3], '*', 'type', ARGV[5], 'data', ARGV[4])
appendThreadEvent(KEYS[5], KEYS[6], ARGV[9], ARGV[6], ARGV[10], ARGV[11], ARGV[7], '')
return replaced
`);

/**
 * Logs and publishes a thread event decided outside Redis (a relayed run, thread change, or message
 * sequenced in Postgres), with its persistence stream entry when it has one, in one step.
 * KEYS: events, eventsFloor, stream  ARGV: threadId, channel, logMaxEvents, ttlSeconds, eventJson, then the stream entry's fields (none: no entry)
 */
export const PUBLISH_THREAD_EVENT = luaScript(`${THREAD_EVENT_LOG_LUA}
if #ARGV > 5 then redis.call('XADD', KEYS[3], '*', unpack(ARGV, 6)) end
return appendThreadEvent(KEYS[1], KEYS[2], ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], '')
`);

/** Updates a cached field only where hot state exists. KEYS: meta  ARGV: field, value */
export const SET_IF_HOT = luaScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return 1
`);

/**
 * The part of a thread's window a page needs, found by index: the window is a contiguous run of
 * seqs ending at the thread's counter, so the entry with seq s sits at index s - firstSeq. Only
 * those entries cross the wire and get parsed, however large the window.
 * KEYS: meta, window  ARGV: after ('' = none), before ('' = none), limit, backwards ('1'/'0')
 * Reply: {} when the thread is not hot, else {owner, persisted, archived, firstSeq, lastSeq, entry…}:
 * the window's entries with after < seq < before, oldest first, at most `limit` of them, taken
 * from the start of that range, or from its end when backwards. An empty window has firstSeq = lastSeq + 1.
 */
export const READ_WINDOW_SLICE = luaScript(`
local meta = redis.call('HMGET', KEYS[1], 'owner', 'persisted', 'archived', 'seq')
if not meta[1] then return {} end
local last = tonumber(meta[4] or '0')
local first = last - redis.call('LLEN', KEYS[2]) + 1
local low, high = first, last
if ARGV[1] ~= '' then low = math.max(low, tonumber(ARGV[1]) + 1) end
if ARGV[2] ~= '' then high = math.min(high, tonumber(ARGV[2]) - 1) end
local limit = tonumber(ARGV[3])
if high - low + 1 > limit then
  if ARGV[4] == '1' then low = high - limit + 1 else high = low + limit - 1 end
end
local reply = {meta[1], meta[2] or '0', meta[3] or '0', tostring(first), tostring(last)}
if low <= high then
  local entries = redis.call('LRANGE', KEYS[2], low - first, high - first)
  for i = 1, #entries do reply[#reply + 1] = entries[i] end
end
return reply
`);
