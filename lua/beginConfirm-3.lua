--[[
  beginConfirm: a payment that takes time begins. The hold becomes `confirming` and lives
  at least until the payment window closes, so it cannot expire under a running payment.
  A hold already `confirming` (its confirm was cut off) may begin again: the payment
  provider is idempotent per hold, so the retry resumes the same payment.

  KEYS[1] hold     {ev:E}:hold:H
  KEYS[2] expiry   {ev:E}:expiry     zset: holdId -> expiresAt (ms)
  KEYS[3] idem     {ev:E}:idem:U:K   the confirm's Idempotency-Key record (unused without)

  ARGV[1] userId          the caller; only the owner confirms
  ARGV[2] fingerprint     of the confirm request; '' without an Idempotency-Key
  ARGV[3] paymentWindowMs how long a payment may take
  ARGV[4] keyBase         {ev:E}: — the event hash (for the fence) is named from it

  Returns
    {1, ...hold}   payment may proceed (hold fields as in holdReply)
    {2, ...hold}   already confirmed: the same confirmed reservation
    {-8} no such hold   {-9} not the owner   {-10} expired   {-11, status} wrong state
    {-7} the key was used with another body   {-15} the key's payment failed before
    {-16} the event is fenced (see fence.lua)
]]
--- @include "nowMs"
--- @include "int"
--- @include "paymentHold"

local holdKey, expiryKey, idemKey = KEYS[1], KEYS[2], KEYS[3]
local userId, fingerprint = ARGV[1], ARGV[2]
local windowMs = tonumber(ARGV[3])
if userId == nil or userId == '' or fingerprint == nil or not windowMs or windowMs < 1 then
  return {-1}
end

local keyBase = ARGV[4]
if keyBase == nil or keyBase == '' then return {-1} end
local h, answer = paymentHold(keyBase, holdKey, userId, idemKey, fingerprint)
if not h then return answer end
if h.status ~= 'held' and h.status ~= 'confirming' then return {-11, h.status} end
local now = nowMs()
if now >= h.expiresAt then return {-10} end

h.status = 'confirming'
h.expiresAt = math.max(h.expiresAt, now + windowMs)
redis.call('HSET', holdKey, 'status', 'confirming', 'expiresAt', int(h.expiresAt))
redis.call('ZADD', expiryKey, h.expiresAt, h.id)
return holdReply(1, h)
