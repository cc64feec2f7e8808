--[[
  expire: the reaper ends a hold whose time is up and puts its stock back. Safe to call
  from any number of reapers at once: only a live hold past its expiry is expired, once.

  KEYS[1] hold      {ev:E}:hold:H
  KEYS[2] expiry    {ev:E}:expiry
  KEYS[3] outbox    {ev:E}:outbox

  ARGV[1] holdId        (to clean the expiry set when the hold record is gone)
  ARGV[2] retentionMs   how long the expired record stays readable
  ARGV[3] keyBase       {ev:E}: — the category and user hashes are named from it

  Returns {1, lateMs} expired, lateMs = now - expiresAt
    | {-8} no such hold (dropped from the expiry set)
    | {-13, expiresAt} not due, or not live (a live one stays in the set)
    | {-16} the event is fenced (see fence.lua)
]]
--- @include "nowMs"
--- @include "int"
--- @include "readHold"
--- @include "appendOutbox"
--- @include "endHold"
--- @include "fence"
--- @include "eventGate"

local holdKey, expiryKey, outboxKey = KEYS[1], KEYS[2], KEYS[3]
local holdId = ARGV[1]
local retentionMs = tonumber(ARGV[2])
local keyBase = ARGV[3]
if holdId == nil or holdId == '' or not retentionMs or retentionMs < 1 or keyBase == nil
  or keyBase == '' then
  return {-1}
end

local eventKey = keyBase .. 'event'
local gate = eventGate(eventKey)
if gate then return gate end
local h = readHold(holdKey)
if not h then
  redis.call('ZREM', expiryKey, holdId)
  return {-8}
end
local live = h.status == 'held' or h.status == 'confirming'
local now = nowMs()
if not live then
  redis.call('ZREM', expiryKey, holdId)
  return {-13, int(h.expiresAt)}
end
if now < h.expiresAt then return {-13, int(h.expiresAt)} end

local keys = {
  event = eventKey,
  hold = holdKey, expiry = expiryKey, outbox = outboxKey,
  category = keyBase .. 'cat:' .. h.categoryId, user = keyBase .. 'user:' .. h.userId,
  seats = keyBase .. 'seats:' .. h.categoryId,
}
endHold(keys, h, 'expired', now, retentionMs, 'held')
return {1, int(now - h.expiresAt)}
