--[[
  restoreHold: puts one hold back as the durable record (merged with what Redis still had)
  says it is, after a Redis data loss. It writes the hold only; the stock counts are set
  afterwards from the whole merged set (setCounts). The event is fenced meanwhile, so
  nothing else changes its holds. A hold the reconciliation had to drop to keep held +
  confirmed within capacity is restored as `expired`, with its outbox entry, so the record
  learns it too.

  KEYS[1] hold      {ev:E}:hold:H
  KEYS[2] expiry    {ev:E}:expiry
  KEYS[3] outbox    {ev:E}:outbox
  KEYS[4] event     {ev:E}:event

  ARGV[1] holdId  ARGV[2] eventId  ARGV[3] categoryId  ARGV[4] userId  ARGV[5] quantity
  ARGV[6] status      held | confirming | confirmed | released | expired | cancelled
  ARGV[7] expiresAt ms   ARGV[8] createdAt ms   ARGV[9] confirmedAt ms or ''
  ARGV[10] endedAt ms or ''   ARGV[11] seq   ARGV[12] retentionMs (for ended holds)
  ARGV[13] evict      '1': the hold did not fit in the capacity; it ends as expired now
  ARGV[14] seats      a seated hold's seat ids, comma-separated ('' for a hold by count)
  ARGV[15] seatPos    their positions in the category's seat string, in the same order
                      (the seat string itself is set from all holds by setSeatState-2)

  Returns {1} restored | {0} Redis has this hold at this step or later: left alone
    | {-1} bad arguments
]]
--- @include "nowMs"
--- @include "int"
--- @include "appendOutbox"

local holdKey, expiryKey, outboxKey, eventKey = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local holdId, eventId, categoryId, userId = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local quantity = tonumber(ARGV[5])
local status = ARGV[6]
local expiresAt, createdAt = tonumber(ARGV[7]), tonumber(ARGV[8])
local confirmedAt, endedAt = ARGV[9], ARGV[10]
local seq = tonumber(ARGV[11])
local retentionMs = tonumber(ARGV[12])
local evict = ARGV[13] == '1'
local seats, seatPos = ARGV[14] or '', ARGV[15] or ''
local statuses = { held = true, confirming = true, confirmed = true, released = true,
  expired = true, cancelled = true }

if holdId == nil or holdId == '' or eventId == nil or eventId == '' or categoryId == nil
  or categoryId == '' or userId == nil or userId == '' or not quantity or quantity < 1
  or not statuses[status] or not expiresAt or not createdAt or confirmedAt == nil
  or endedAt == nil or not seq or seq < 1 or not retentionMs or retentionMs < 1 then
  return {-1}
end
local present = tonumber(redis.call('HGET', holdKey, 'seq'))
if present and present >= seq and not evict then return {0} end

redis.call('DEL', holdKey)
redis.call('HSET', holdKey,
  'id', holdId, 'eventId', eventId, 'categoryId', categoryId, 'userId', userId,
  'quantity', quantity, 'status', status, 'expiresAt', ARGV[7], 'heldUntil', ARGV[7],
  'createdAt', ARGV[8], 'seq', int(seq))
if confirmedAt ~= '' then redis.call('HSET', holdKey, 'confirmedAt', confirmedAt) end
if seats ~= '' then redis.call('HSET', holdKey, 'seats', seats, 'seatPos', seatPos) end
if endedAt ~= '' then redis.call('HSET', holdKey, 'endedAt', endedAt) end

if evict then
  local now = nowMs()
  local h = { id = holdId, eventId = eventId, categoryId = categoryId, userId = userId,
    quantity = quantity, seq = seq + 1, expiresAt = expiresAt, endedAt = int(now),
    seats = seats ~= '' and seats or nil }
  redis.call('HSET', holdKey, 'status', 'expired', 'seq', int(h.seq), 'endedAt', h.endedAt)
  appendOutbox(eventKey, outboxKey, 'reservation.expired', h, now)
  status = 'expired'
end
if status == 'held' or status == 'confirming' then
  redis.call('ZADD', expiryKey, expiresAt, holdId)
else
  redis.call('ZREM', expiryKey, holdId)
end
if status == 'released' or status == 'expired' or status == 'cancelled' then
  redis.call('PEXPIRE', holdKey, retentionMs)
end
return {1}
