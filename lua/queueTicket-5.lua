--[[
  queueTicket: a user's place in an event's waiting room (SPEC §7). Reads only.

  KEYS[1] event  KEYS[2] queue  KEYS[3] joined  KEYS[4] admitted  KEYS[5] state
  (see joinQueue-5.lua)
  ARGV[1] userId

  Returns {1, ticket...} (see includes/queueTicket.lua)
    {-2} no such event   {-17} the event has no waiting room   {-8} the user never joined
]]
--- @include "nowMs"
--- @include "queueTicket"

local k = { event = KEYS[1], queue = KEYS[2], joined = KEYS[3], admitted = KEYS[4],
  state = KEYS[5] }
local room = redis.call('HGET', k.event, 'waitingRoom')
if not room then return {-2} end
if room ~= '1' then return {-17} end
local ticket = queueTicket(k, ARGV[1], nowMs())
if not ticket then return {-8} end
table.insert(ticket, 1, 1)
return ticket
