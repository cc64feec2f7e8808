--[[
  cancel: a confirmed sale is cancelled by its owner; the tickets return to stock at once.

  KEYS[1] hold      {ev:E}:hold:H
  KEYS[2] category  {ev:E}:cat:C
  KEYS[3] user      {ev:E}:user:U
  KEYS[4] outbox    {ev:E}:outbox

  ARGV[1] userId   ARGV[2] retentionMs  how long the cancelled record stays readable
  ARGV[3] categoryId  the category KEYS[2] was built for; must be the hold's

  Returns {1, ...hold} cancelled | {2, ...hold} was cancelled already
    | {-8} no such hold | {-9} not the owner | {-11, status} not confirmed
]]
--- @include "nowMs"
--- @include "int"
--- @include "readHold"
--- @include "ownHold"
--- @include "holdReply"
--- @include "appendOutbox"

local holdKey, categoryKey, userKey, outboxKey = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local userId = ARGV[1]
local retentionMs = tonumber(ARGV[2])
local categoryId = ARGV[3]
if userId == nil or userId == '' or not retentionMs or retentionMs < 1 then return {-1} end

local h, refusal = ownHold(holdKey, userId)
if not h then return refusal end
if h.categoryId ~= categoryId then return {-1} end
if h.status == 'cancelled' then return holdReply(2, h) end
if h.status ~= 'confirmed' then return {-11, h.status} end

local now = nowMs()
redis.call('HINCRBY', categoryKey, 'confirmed', -h.quantity)
redis.call('HINCRBY', userKey, 'total', -h.quantity)
redis.call('HINCRBY', userKey, 'c:' .. h.categoryId, -h.quantity)
h.status = 'cancelled'
h.seq = h.seq + 1
h.endedAt = int(now)
redis.call('HSET', holdKey, 'status', 'cancelled', 'seq', int(h.seq), 'endedAt', h.endedAt)
redis.call('PEXPIRE', holdKey, retentionMs)
appendOutbox(outboxKey, 'reservation.cancelled', h, now)
return holdReply(1, h)
