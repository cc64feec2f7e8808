--[[
  admitQueue: moves users from the head of an event's waiting room to `admitted`, at the
  event's admitPerSecond, by Redis's clock (SPEC §7). Any number of reapers may call it at
  any pace: the admission clock lives here, so together they never admit more than
  admitPerSecond × elapsed + one second's worth (at most a second of credit is banked).
  It also notices a sold-out event: no category has any ticket left (held or sold). Then,
  and while the event is not on sale, nobody is admitted; when stock returns (a hold
  expires or is released), admission resumes.
  When it admits someone or the sold-out state flips, it says so on the event's shard
  channel: the api processes answer queue polls from memory (api/event-views.ts).

  KEYS[1] event     {ev:E}:event           hash: status, waitingRoom, admitPerSecond, passTtl
  KEYS[2] queue     {ev:E}:queue           zset: waiting user → place
  KEYS[3] joined    {ev:E}:queue:joined    hash: user → joinedAt (ms)
  KEYS[4] admitted  {ev:E}:queue:admitted  zset: user → pass expiry (ms)
  KEYS[5] state     {ev:E}:queue:state     hash: clock, admitted, firstAdmitAt, soldOut, passScan
  KEYS[6] categories {ev:E}:cats           set of category ids

  ARGV[1] categoryKey  {ev:E}:cat: (the category hashes are named from the set; same slot)
  ARGV[2] maxBatch     the most users one call admits

  Returns {admittedNow, passesExpiredSinceLastCall, soldOut (0|1), now (ms),
    joinedAt of each admitted user...}   {-1} bad arguments
]]
--- @include "nowMs"
--- @include "int"

local eventKey, queueKey, joinedKey, admittedKey, stateKey, categoriesKey =
  KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]
local categoryKey, maxBatch = ARGV[1], tonumber(ARGV[2])
if not categoryKey or not maxBatch or maxBatch < 1 then return {-1} end

local event = redis.call('HMGET', eventKey, 'status', 'waitingRoom', 'admitPerSecond', 'passTtl')
local now = nowMs()
if event[2] ~= '1' then return {0, 0, 0, now} end

local left, categories = 0, 0
for _, id in ipairs(redis.call('SMEMBERS', categoriesKey)) do
  local c = redis.call('HMGET', categoryKey .. id, 'capacity', 'held', 'confirmed')
  if c[1] then
    categories = categories + 1
    left = left + tonumber(c[1]) - (tonumber(c[2]) or 0) - (tonumber(c[3]) or 0)
  end
end
local soldOut = (categories > 0 and left <= 0) and 1 or 0
if redis.call('HGET', stateKey, 'soldOut') ~= tostring(soldOut) then
  redis.call('HSET', stateKey, 'soldOut', soldOut)
  redis.call('SPUBLISH', eventKey, 'queue')
end

local scanned = tonumber(redis.call('HGET', stateKey, 'passScan')) or 0
local expired = redis.call('ZCOUNT', admittedKey, '(' .. int(scanned), int(now))
redis.call('HSET', stateKey, 'passScan', int(now))

local rate = tonumber(event[3]) or 0
if event[1] ~= 'on_sale' or soldOut == 1 or rate < 1 then
  -- Not admitting: no credit builds up meanwhile.
  redis.call('HSET', stateKey, 'clock', int(now))
  return {0, expired, soldOut, now}
end

local clock = tonumber(redis.call('HGET', stateKey, 'clock')) or now
if clock < now - 1000 then clock = now - 1000 end
local due = math.floor((now - clock) * rate / 1000)
local n = math.min(due, maxBatch, redis.call('ZCARD', queueKey))
if n < 1 then
  redis.call('HSET', stateKey, 'clock', string.format('%.3f', clock))
  return {0, expired, soldOut, now}
end

local passExpiresAt = now + (tonumber(event[4]) or 600) * 1000
local popped = redis.call('ZPOPMIN', queueKey, n)
local users, scored = {}, {}
for i = 1, #popped, 2 do
  users[#users + 1] = popped[i]
  scored[#scored + 1] = passExpiresAt
  scored[#scored + 1] = popped[i]
end
redis.call('ZADD', admittedKey, unpack(scored))
redis.call('HSET', stateKey, 'clock', string.format('%.3f', clock + #users * 1000 / rate))
redis.call('HINCRBY', stateKey, 'admitted', #users)
redis.call('HSETNX', stateKey, 'firstAdmitAt', int(now))
redis.call('SPUBLISH', eventKey, 'queue')
local reply = {#users, expired, soldOut, now}
for _, joinedAt in ipairs(redis.call('HMGET', joinedKey, unpack(users))) do
  reply[#reply + 1] = joinedAt or ''
end
return reply
