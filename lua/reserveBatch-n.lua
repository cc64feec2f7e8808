--[[
  reserveBatch: a group of reserves for one event in one call (group commit): each
  request is placed by includes/reserveHold.lua in the order given, exactly as reserve-7.lua
  would place it alone, and gets its own reply; the live channel hears of the group once.
  The number of keys is the caller's (3 + 4 per request).

  KEYS[1] event     {ev:E}:event       KEYS[2] expiry   {ev:E}:expiry
  KEYS[3] outbox    {ev:E}:outbox
  then per request i (from 0): KEYS[4+4i] category, KEYS[5+4i] user, KEYS[6+4i] hold,
  KEYS[7+4i] idem (as reserve-7.lua's)

  ARGV[1] eventId     ARGV[2] idemTtlMs    ARGV[3] defaultTtl
  then per request i: ARGV[4+6i] holdId, ARGV[5+6i] categoryId, ARGV[6+6i] userId,
  ARGV[7+6i] quantity, ARGV[8+6i] fingerprint, ARGV[9+6i] queuePass (as reserve-7.lua's)
  then, optional, triples for the traced requests only: the request's number (1-based),
  its traceparent and its request id ('' when unknown) (reserve-7.lua's ARGV[10], ARGV[11])

  Returns {reply, ...}: one reserve-7.lua reply per request, in order; {-1} alone when the
  group itself is malformed.
]]
--- @include "reserveHold"

local count = (#KEYS - 3) / 4
local traced = #ARGV - 3 - 6 * count
if count < 1 or count ~= math.floor(count) or traced < 0 or traced % 3 ~= 0 then return {-1} end
local traceparents, requestIds = {}, {}
for j = 4 + 6 * count, #ARGV, 3 do
  traceparents[tonumber(ARGV[j])] = ARGV[j + 1]
  requestIds[tonumber(ARGV[j])] = ARGV[j + 2]
end

local replies = {}
local changed = false
local memo = {}
for i = 0, count - 1 do
  local reply = reserveHold(
    { event = KEYS[1], expiry = KEYS[2], outbox = KEYS[3], category = KEYS[4 + 4 * i],
      user = KEYS[5 + 4 * i], hold = KEYS[6 + 4 * i], idem = KEYS[7 + 4 * i] },
    { eventId = ARGV[1], idemTtlMs = ARGV[2], defaultTtl = ARGV[3], holdId = ARGV[4 + 6 * i],
      categoryId = ARGV[5 + 6 * i], userId = ARGV[6 + 6 * i], quantity = ARGV[7 + 6 * i],
      fingerprint = ARGV[8 + 6 * i], queuePass = ARGV[9 + 6 * i],
      traceparent = traceparents[i + 1], requestId = requestIds[i + 1] },
    true, memo)
  if reply[1] == 1 then changed = true end
  replies[i + 1] = reply
end
if changed then redis.call('SPUBLISH', KEYS[1], redis.call('HGET', KEYS[1], 'changeSeq')) end
return replies
