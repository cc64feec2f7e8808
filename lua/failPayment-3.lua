--[[
  failPayment: the payment was refused. The hold is `held` again with its original
  expiry, until it expires or is released.

  KEYS[1] hold     {ev:E}:hold:H
  KEYS[2] expiry   {ev:E}:expiry
  KEYS[3] idem     {ev:E}:idem:U:K

  ARGV[1] userId   ARGV[2] fingerprint ('' without a key)   ARGV[3] idemTtlMs

  Returns {1, ...hold} | {-8} no such hold | {-9} not the owner | {-11, status} wrong state
]]
--- @include "int"
--- @include "readHold"
--- @include "ownHold"
--- @include "holdReply"

local holdKey, expiryKey, idemKey = KEYS[1], KEYS[2], KEYS[3]
local userId, fingerprint = ARGV[1], ARGV[2]
local idemTtlMs = tonumber(ARGV[3])
if userId == nil or userId == '' or fingerprint == nil or not idemTtlMs or idemTtlMs < 1 then
  return {-1}
end

local h, refusal = ownHold(holdKey, userId)
if not h then return refusal end
if h.status ~= 'confirming' then return {-11, h.status} end

local heldUntil = tonumber(redis.call('HGET', holdKey, 'heldUntil')) or h.expiresAt
h.status = 'held'
h.expiresAt = heldUntil
redis.call('HSET', holdKey, 'status', 'held', 'expiresAt', int(heldUntil))
redis.call('ZADD', expiryKey, heldUntil, h.id)
if fingerprint ~= '' then
  redis.call('SET', idemKey, cjson.encode({ fingerprint = fingerprint, outcome = 'payment_failed' }),
    'PX', idemTtlMs)
end
return holdReply(1, h)
