--[[
  confirm: the payment succeeded; the hold becomes a sale. The tickets move from the
  category's `held` to its `confirmed`; the user's totals stay (they count both).

  KEYS[1] hold      {ev:E}:hold:H
  KEYS[2] category  {ev:E}:cat:C
  KEYS[3] expiry    {ev:E}:expiry
  KEYS[4] outbox    {ev:E}:outbox
  KEYS[5] idem      {ev:E}:idem:U:K

  ARGV[1] userId   ARGV[2] fingerprint ('' without a key)   ARGV[3] idemTtlMs
  ARGV[4] categoryId  the category KEYS[2] was built for; must be the hold's

  Returns {1, ...hold} confirmed | {2, ...hold} was confirmed already
    | {-8} no such hold | {-9} not the owner | {-10} expired | {-11, status} wrong state
]]
--- @include "nowMs"
--- @include "int"
--- @include "readHold"
--- @include "ownHold"
--- @include "holdReply"
--- @include "appendOutbox"

local holdKey, categoryKey, expiryKey, outboxKey, idemKey = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local userId, fingerprint = ARGV[1], ARGV[2]
local idemTtlMs = tonumber(ARGV[3])
local categoryId = ARGV[4]
if userId == nil or userId == '' or fingerprint == nil or not idemTtlMs or idemTtlMs < 1 then
  return {-1}
end

local h, refusal = ownHold(holdKey, userId)
if not h then return refusal end
if h.categoryId ~= categoryId then return {-1} end
if h.status == 'confirmed' then return holdReply(2, h) end
if h.status == 'expired' then return {-10} end
if h.status ~= 'confirming' then return {-11, h.status} end

local now = nowMs()
redis.call('HINCRBY', categoryKey, 'held', -h.quantity)
redis.call('HINCRBY', categoryKey, 'confirmed', h.quantity)
redis.call('ZREM', expiryKey, h.id)
h.status = 'confirmed'
h.seq = h.seq + 1
h.confirmedAt = int(now)
redis.call('HSET', holdKey, 'status', 'confirmed', 'seq', int(h.seq), 'confirmedAt', h.confirmedAt)
appendOutbox(outboxKey, 'reservation.confirmed', h, now)
if fingerprint ~= '' then
  redis.call('SET', idemKey, cjson.encode({ fingerprint = fingerprint, outcome = 'confirmed' }),
    'PX', idemTtlMs)
end
return holdReply(1, h)
