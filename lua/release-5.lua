--[[
  release: the owner gives a hold back before it expires; its stock returns at once.
  A hold already past its expiry is expired instead (and the caller told so).

  KEYS[1] hold      {ev:E}:hold:H
  KEYS[2] category  {ev:E}:cat:C
  KEYS[3] user      {ev:E}:user:U
  KEYS[4] expiry    {ev:E}:expiry
  KEYS[5] outbox    {ev:E}:outbox

  ARGV[1] userId   ARGV[2] retentionMs  how long the ended hold stays readable
  ARGV[3] categoryId  the category KEYS[2] was built for; must be the hold's

  Returns {1, ...hold} released | {2, ...hold} was released already
    | {-8} no such hold | {-9} not the owner | {-10} expired | {-11, status} wrong state
]]
--- @include "nowMs"
--- @include "int"
--- @include "readHold"
--- @include "ownHold"
--- @include "holdReply"
--- @include "appendOutbox"
--- @include "endHold"

local keys = { hold = KEYS[1], category = KEYS[2], user = KEYS[3], expiry = KEYS[4], outbox = KEYS[5] }
local userId = ARGV[1]
local retentionMs = tonumber(ARGV[2])
local categoryId = ARGV[3]
if userId == nil or userId == '' or not retentionMs or retentionMs < 1 then return {-1} end

local h, refusal = ownHold(keys.hold, userId)
if not h then return refusal end
if h.categoryId ~= categoryId then return {-1} end
if h.status == 'released' then return holdReply(2, h) end
if h.status == 'expired' then return {-10} end
if h.status ~= 'held' then return {-11, h.status} end

local now = nowMs()
if now >= h.expiresAt then
  endHold(keys, h, 'expired', now, retentionMs)
  return {-10}
end
endHold(keys, h, 'released', now, retentionMs)
return holdReply(1, h)
