--[[
  expire: the reaper ends a hold whose time is up and puts its stock back. Safe to call
  from any number of reapers at once: only a live hold past its expiry is expired, once.

  KEYS[1] hold      {ev:E}:hold:H
  KEYS[2] category  {ev:E}:cat:C
  KEYS[3] user      {ev:E}:user:U
  KEYS[4] expiry    {ev:E}:expiry
  KEYS[5] outbox    {ev:E}:outbox

  ARGV[1] holdId        (to clean the expiry set when the hold record is gone)
  ARGV[2] retentionMs   how long the expired record stays readable
  ARGV[3] categoryId    ARGV[4] userId: what KEYS[2] and KEYS[3] were built for

  Returns {1, lateMs} expired, lateMs = now - expiresAt
    | {-8} no such hold (dropped from the expiry set)
    | {-13, expiresAt} not due, or not live (a live one stays in the set)
]]
--- @include "nowMs"
--- @include "int"
--- @include "readHold"
--- @include "appendOutbox"
--- @include "endHold"

local keys = { hold = KEYS[1], category = KEYS[2], user = KEYS[3], expiry = KEYS[4], outbox = KEYS[5] }
local holdId = ARGV[1]
local retentionMs = tonumber(ARGV[2])
local categoryId, userId = ARGV[3], ARGV[4]
if holdId == nil or holdId == '' or not retentionMs or retentionMs < 1 then return {-1} end

local h = readHold(keys.hold)
if not h then
  redis.call('ZREM', keys.expiry, holdId)
  return {-8}
end
if h.categoryId ~= categoryId or h.userId ~= userId then return {-1} end
local live = h.status == 'held' or h.status == 'confirming'
local now = nowMs()
if not live then
  redis.call('ZREM', keys.expiry, holdId)
  return {-13, int(h.expiresAt)}
end
if now < h.expiresAt then return {-13, int(h.expiresAt)} end

endHold(keys, h, 'expired', now, retentionMs)
return {1, int(now - h.expiresAt)}
