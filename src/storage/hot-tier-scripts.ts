/**
 * Lua run atomically inside Redis. Per-thread keys share a hash tag; the stream is global
 * (see README: under Redis Cluster it would be sharded by the same tag).
 */

/**
 * KEYS: meta, window, clientIds, runs, stream
 * ARGV: ownerId, recordJsonWithoutSeq, clientMessageId ('' = none), runId ('' = none),
 *       channel, windowSize, clientIdsCheckedInPostgres ('1'/'0'), ttlSeconds
 * Reply: {status, ...}: COLD | NOT_FOUND | ARCHIVED | CHECK_CLIENT_ID | CHECK_RUN
 *        | DUPLICATE json persisted archived | OK json persisted archived
 */
export const SEND_MESSAGE = `
local meta = redis.call('HMGET', KEYS[1], 'owner', 'status', 'persisted', 'archived', 'coldClientIds')
if not meta[1] then return {'COLD'} end
if meta[1] ~= ARGV[1] then return {'NOT_FOUND'} end
if meta[2] ~= 'ACTIVE' then return {'ARCHIVED'} end
local clientId = ARGV[3]
if clientId ~= '' then
  local earlier = redis.call('HGET', KEYS[3], clientId)
  if earlier then return {'DUPLICATE', earlier, meta[3], meta[4]} end
  if meta[5] == '1' and ARGV[7] ~= '1' then return {'CHECK_CLIENT_ID'} end
end
if ARGV[4] ~= '' and redis.call('SISMEMBER', KEYS[4], ARGV[4]) == 0 then return {'CHECK_RUN'} end
local seq = redis.call('HINCRBY', KEYS[1], 'seq', 1)
local json = '{"seq":' .. seq .. ',' .. string.sub(ARGV[2], 2)
redis.call('RPUSH', KEYS[2], json)
-- Keep the configured window, but never trim a message Postgres does not have yet:
-- the window is what makes an acked message readable before the persister catches up.
local keep = math.max(tonumber(ARGV[6]), seq - tonumber(meta[3]))
redis.call('LTRIM', KEYS[2], -keep, -1)
if clientId ~= '' then redis.call('HSET', KEYS[3], clientId, json) end
redis.call('XADD', KEYS[5], '*', 'type', 'message', 'data', json)
redis.call('PUBLISH', ARGV[5], '{"type":"MessageAdded","seq":' .. seq .. ',"message":' .. json .. '}')
for i = 1, 4 do redis.call('EXPIRE', KEYS[i], ARGV[8]) end
return {'OK', json, meta[3], meta[4]}
`;

/**
 * Seeds a thread's hot state from Postgres, unless another instance already did.
 * KEYS: meta  ARGV: owner, status, lastSeq, ttlSeconds
 */
export const INIT_THREAD = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
local cold = '0'
if tonumber(ARGV[3]) > 0 then cold = '1' end
redis.call('HSET', KEYS[1], 'owner', ARGV[1], 'status', ARGV[2], 'seq', ARGV[3], 'persisted', ARGV[3], 'archived', '0', 'coldClientIds', cold)
redis.call('EXPIRE', KEYS[1], ARGV[4])
return 1
`;

/**
 * Re-seeds a thread whose messages were written to Postgres while Redis was unreachable:
 * the counter continues from Postgres and the window, no longer contiguous, starts empty.
 * KEYS: meta, window  ARGV: lastSeq
 */
export const RESEED_THREAD = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'seq', ARGV[1], 'persisted', ARGV[1], 'coldClientIds', '1')
redis.call('DEL', KEYS[2])
return 1
`;

/** Updates a cached field only where hot state exists. KEYS: meta  ARGV: field, value */
export const SET_IF_HOT = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return 1
`;
