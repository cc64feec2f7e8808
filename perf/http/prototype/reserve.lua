--[[
  The bare prototype's reserve (perf/http/prototype-server.ts): the least a hold can be in
  Redis, in one script, as the ceiling `npm run perf:http` reads the engine's reserve against.
  No event, category or per-user checks, no idempotency: take one unit of a counter, then
  write the hold, its expiry entry and its outbox entry.

  KEYS[1] stock   string: units left
  KEYS[2] hold    hash, the new hold
  KEYS[3] expiry  zset: holdId -> expiresAt (ms)
  KEYS[4] outbox  stream of hold changes
  ARGV[1] holdId  ARGV[2] eventId  ARGV[3] categoryId  ARGV[4] quantity  ARGV[5] ttlMs

  Returns {1, expiresAt, createdAt} placed, {-5, left} sold out.
]]
local quantity = tonumber(ARGV[4])
local left = tonumber(redis.call('GET', KEYS[1]) or '0')
if left < quantity then return {-5, left} end
redis.call('DECRBY', KEYS[1], quantity)

local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local expiresAt = now + tonumber(ARGV[5])
local at, expires = string.format('%d', now), string.format('%d', expiresAt)
redis.call('HSET', KEYS[2], 'id', ARGV[1], 'eventId', ARGV[2], 'categoryId', ARGV[3],
  'quantity', ARGV[4], 'status', 'held', 'expiresAt', expires, 'createdAt', at)
redis.call('ZADD', KEYS[3], expiresAt, ARGV[1])
redis.call('XADD', KEYS[4], '*', 'type', 'reservation.held', 'reservationId', ARGV[1],
  'eventId', ARGV[2], 'categoryId', ARGV[3], 'quantity', ARGV[4], 'at', at,
  'expiresAt', expires)
return {1, expiresAt, now}
