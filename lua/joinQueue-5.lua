--[[
  joinQueue: a user takes a place in an event's waiting room (SPEC §7), once.
  Before the event first goes on sale (`openedAt` unset) a place is the random number the
  caller drew (below 2^52): the pre-queue sorted by it is a uniform shuffle, fixed from
  the join on, so joining early or again buys nothing. From the open on, a place is 2^52
  plus the arrival number: later arrivals queue behind, first come first served.

  KEYS[1] event     {ev:E}:event           hash: status, waitingRoom, openedAt
  KEYS[2] queue     {ev:E}:queue           zset: waiting user → place
  KEYS[3] joined    {ev:E}:queue:joined    hash: user → joinedAt (ms)
  KEYS[4] admitted  {ev:E}:queue:admitted  zset: user → pass expiry (ms)
  KEYS[5] state     {ev:E}:queue:state     hash: arrivals, admitted, firstAdmitAt, soldOut

  ARGV[1] userId    ARGV[2] draw   an integer in [0, 2^52), from a CSPRNG

  Returns {1, ticket...} joined    {2, ticket...} had joined before (the same ticket)
    {-1} bad arguments   {-2} no such event   {-17} the event has no waiting room
    {-4, status} the event is closed or cancelled
  (ticket: see includes/queueTicket.lua)
]]
--- @include "nowMs"
--- @include "int"
--- @include "queueTicket"

local k = { event = KEYS[1], queue = KEYS[2], joined = KEYS[3], admitted = KEYS[4],
  state = KEYS[5] }
local userId, draw = ARGV[1], tonumber(ARGV[2])
local PRE_QUEUE_END = 4503599627370496 -- 2^52
if not userId or userId == '' or not draw or draw < 0 or draw >= PRE_QUEUE_END then
  return {-1}
end

local event = redis.call('HMGET', k.event, 'status', 'waitingRoom', 'openedAt')
if not event[1] then return {-2} end
if event[2] ~= '1' then return {-17} end
local now = nowMs()
local ticket = queueTicket(k, userId, now)
if ticket then
  table.insert(ticket, 1, 2)
  return ticket
end
if event[1] == 'closed' or event[1] == 'cancelled' then return {-4, event[1]} end

local place = draw
if event[3] or event[1] == 'on_sale' then
  place = PRE_QUEUE_END + redis.call('HINCRBY', k.state, 'arrivals', 1)
end
redis.call('HSET', k.joined, userId, int(now))
redis.call('ZADD', k.queue, int(place), userId)
ticket = queueTicket(k, userId, now)
table.insert(ticket, 1, 1)
return ticket
