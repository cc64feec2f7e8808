--[[
  confirm: the payment succeeded; the hold becomes a sale. The tickets move from the
  category's `held` to its `confirmed` (a seated hold's seats from held to sold); the
  user's totals stay (they count both).
  A payment that answered at once confirms a `held` hold directly (one round trip); one
  that took time went through beginConfirm first and confirms a `confirming` hold.

  KEYS[1] hold      {ev:E}:hold:H
  KEYS[2] expiry    {ev:E}:expiry
  KEYS[3] outbox    {ev:E}:outbox
  KEYS[4] idem      {ev:E}:idem:U:K   the confirm's Idempotency-Key record (unused without)

  ARGV[1] userId   ARGV[2] fingerprint ('' without a key)   ARGV[3] idemTtlMs
  ARGV[4] keyBase  {ev:E}: — the category hash is named from it and the hold's category
  ARGV[5] traceparent optional: a traced request's W3C traceparent, for the outbox entry
  ARGV[6] requestId   optional, with a traceparent: the traced request's id, beside it

  Returns {1, ...hold} confirmed | {2, ...hold} was confirmed already
    | {-8} no such hold | {-9} not the owner | {-10} expired | {-11, status} wrong state
    | {-7} the key was used with another body | {-15} the key's payment failed before
    | {-16} the event is fenced (see fence.lua)
]]
--- @include "nowMs"
--- @include "int"
--- @include "paymentHold"
--- @include "appendOutbox"
--- @include "setSeats"

local holdKey, expiryKey, outboxKey, idemKey = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local userId, fingerprint = ARGV[1], ARGV[2]
local idemTtlMs = tonumber(ARGV[3])
local keyBase = ARGV[4]
if userId == nil or userId == '' or fingerprint == nil or not idemTtlMs or idemTtlMs < 1
  or keyBase == nil or keyBase == '' then
  return {-1}
end

local eventKey = keyBase .. 'event'
local h, answer = paymentHold(keyBase, holdKey, userId, idemKey, fingerprint)
if not h then return answer end
local now = nowMs()
if h.status == 'held' then
  if now >= h.expiresAt then return {-10} end
elseif h.status ~= 'confirming' then
  return {-11, h.status}
end

local categoryKey = keyBase .. 'cat:' .. h.categoryId
if h.seatPos then setSeats(keyBase .. 'seats:' .. h.categoryId, categoryKey, h.seatPos, 's', 0) end
redis.call('HINCRBY', categoryKey, 'held', -h.quantity)
redis.call('HINCRBY', categoryKey, 'confirmed', h.quantity)
redis.call('ZREM', expiryKey, h.id)
h.status = 'confirmed'
h.seq = h.seq + 1
h.confirmedAt = int(now)
h.traceparent = ARGV[5]
h.requestId = ARGV[6]
redis.call('HSET', holdKey, 'status', 'confirmed', 'seq', int(h.seq), 'confirmedAt', h.confirmedAt)
appendOutbox(eventKey, outboxKey, 'reservation.confirmed', h, now)
if fingerprint ~= '' then
  redis.call('SET', idemKey, 'confirmed|' .. fingerprint, 'PX', idemTtlMs)
end
return holdReply(1, h)
