--[[
  giveBack: the owner gives tickets back; they return to stock at once. A held hold is
  released, a confirmed sale cancelled. A hold already past its expiry is expired instead
  (and the caller told so).

  KEYS[1] hold      {ev:E}:hold:H
  KEYS[2] user      {ev:E}:user:U     the caller's totals (only the owner gives back)
  KEYS[3] expiry    {ev:E}:expiry
  KEYS[4] outbox    {ev:E}:outbox

  ARGV[1] userId   ARGV[2] retentionMs  how long the ended hold stays readable
  ARGV[3] keyBase  {ev:E}: — the category hash is named from it and the hold's category
  ARGV[4] traceparent optional: a traced request's W3C traceparent, for the outbox entry
  ARGV[5] requestId   optional, with a traceparent: the traced request's id, beside it

  Returns {1, ...hold} released or cancelled | {2, ...hold} was released/cancelled already
    | {-8} no such hold | {-9} not the owner | {-10} expired | {-11, status} being paid
    | {-16} the event is fenced (see fence.lua)
]]
--- @include "nowMs"
--- @include "int"
--- @include "readHold"
--- @include "ownHold"
--- @include "holdReply"
--- @include "appendOutbox"
--- @include "endHold"
--- @include "fence"
--- @include "eventGate"

local userId = ARGV[1]
local retentionMs = tonumber(ARGV[2])
local keyBase = ARGV[3]
if userId == nil or userId == '' or not retentionMs or retentionMs < 1 or keyBase == nil
  or keyBase == '' then
  return {-1}
end

local eventKey = keyBase .. 'event'
local gate = eventGate(eventKey)
if gate then return gate end
local h, refusal = ownHold(KEYS[1], userId)
if not h then return refusal end
local keys = {
  event = eventKey,
  hold = KEYS[1], user = KEYS[2], expiry = KEYS[3], outbox = KEYS[4],
  category = keyBase .. 'cat:' .. h.categoryId, seats = keyBase .. 'seats:' .. h.categoryId,
}
if h.status == 'released' or h.status == 'cancelled' then return holdReply(2, h) end
if h.status == 'expired' then return {-10} end
local now = nowMs()
-- The change is the caller's, whichever it comes to (released, cancelled, expired).
h.traceparent = ARGV[4]
h.requestId = ARGV[5]
if h.status == 'confirmed' then
  endHold(keys, h, 'cancelled', now, retentionMs, 'confirmed')
  return holdReply(1, h)
end
if h.status ~= 'held' then return {-11, h.status} end
if now >= h.expiresAt then
  endHold(keys, h, 'expired', now, retentionMs, 'held')
  return {-10}
end
endHold(keys, h, 'released', now, retentionMs, 'held')
return holdReply(1, h)
