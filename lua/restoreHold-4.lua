--[[
  restoreHold: puts one hold back from the durable record after a Redis data loss, and
  counts it into its category's stock and its user's totals. A hold that exists already
  is left alone, so a rebuild that stopped halfway can simply run again.

  KEYS[1] hold      {ev:E}:hold:H
  KEYS[2] category  {ev:E}:cat:C
  KEYS[3] user      {ev:E}:user:U
  KEYS[4] expiry    {ev:E}:expiry

  ARGV[1] holdId  ARGV[2] eventId  ARGV[3] categoryId  ARGV[4] userId  ARGV[5] quantity
  ARGV[6] status      held | confirmed
  ARGV[7] expiresAt   ms   ARGV[8] createdAt ms   ARGV[9] confirmedAt ms or ''
  ARGV[10] seq

  Returns {1} restored | {0} was there already | {-1} bad arguments | {-3} no such category
]]
local holdKey, categoryKey, userKey, expiryKey = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local holdId, eventId, categoryId, userId = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local quantity = tonumber(ARGV[5])
local status = ARGV[6]
local expiresAt, createdAt = tonumber(ARGV[7]), tonumber(ARGV[8])
local confirmedAt = ARGV[9]
local seq = tonumber(ARGV[10])

if holdId == nil or holdId == '' or eventId == nil or eventId == '' or categoryId == nil
  or categoryId == '' or userId == nil or userId == '' or not quantity or quantity < 1
  or (status ~= 'held' and status ~= 'confirmed') or not expiresAt or not createdAt
  or confirmedAt == nil or not seq or seq < 1 then
  return {-1}
end
if redis.call('EXISTS', categoryKey) == 0 then return {-3} end
if redis.call('EXISTS', holdKey) == 1 then return {0} end

redis.call('HSET', holdKey,
  'id', holdId, 'eventId', eventId, 'categoryId', categoryId, 'userId', userId,
  'quantity', quantity, 'status', status, 'expiresAt', ARGV[7], 'heldUntil', ARGV[7],
  'createdAt', ARGV[8], 'seq', seq)
if confirmedAt ~= '' then redis.call('HSET', holdKey, 'confirmedAt', confirmedAt) end
redis.call('HINCRBY', categoryKey, status, quantity)
redis.call('HINCRBY', userKey, 'total', quantity)
redis.call('HINCRBY', userKey, 'c:' .. categoryId, quantity)
-- A hold already past its time is expired by the reaper, with its outbox entry.
if status == 'held' then redis.call('ZADD', expiryKey, expiresAt, holdId) end
return {1}
