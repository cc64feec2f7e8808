--[[
  failPayment: the payment was refused. The hold is `held` with its original expiry
  (again, when beginConfirm had made it `confirming`), until it expires or is released.

  KEYS[1] hold     {ev:E}:hold:H
  KEYS[2] expiry   {ev:E}:expiry
  KEYS[3] idem     {ev:E}:idem:U:K

  ARGV[1] userId   ARGV[2] fingerprint ('' without a key)   ARGV[3] idemTtlMs
  ARGV[4] keyBase  {ev:E}: — the event hash (for the fence) is named from it

  Returns {1, ...hold} | {-8} no such hold | {-9} not the owner | {-10} expired
    | {-11, status} wrong state | {-7} the key was used with another body
    | {-15} the key's payment failed before | {2, ...hold} confirmed before: the sale stands
    | {-16} the event is fenced (see fence.lua)
]]
--- @include "nowMs"
--- @include "int"
--- @include "paymentHold"

local holdKey, expiryKey, idemKey = KEYS[1], KEYS[2], KEYS[3]
local userId, fingerprint = ARGV[1], ARGV[2]
local idemTtlMs = tonumber(ARGV[3])
if userId == nil or userId == '' or fingerprint == nil or not idemTtlMs or idemTtlMs < 1 then
  return {-1}
end

local keyBase = ARGV[4]
if keyBase == nil or keyBase == '' then return {-1} end
-- Confirmed already (a declined retry of a paid confirm): the sale stands.
local h, answer = paymentHold(keyBase, holdKey, userId, idemKey, fingerprint)
if not h then return answer end
if h.status == 'confirming' then
  local heldUntil = tonumber(redis.call('HGET', holdKey, 'heldUntil')) or h.expiresAt
  h.status = 'held'
  h.expiresAt = heldUntil
  redis.call('HSET', holdKey, 'status', 'held', 'expiresAt', int(heldUntil))
  redis.call('ZADD', expiryKey, heldUntil, h.id)
elseif h.status == 'held' then
  if nowMs() >= h.expiresAt then return {-10} end
else
  return {-11, h.status}
end
if fingerprint ~= '' then
  redis.call('SET', idemKey, 'payment_failed|' .. fingerprint, 'PX', idemTtlMs)
end
return holdReply(1, h)
