--[[
  queueStatus: an event's waiting room as the public sees it (SPEC §7). Reads only.

  KEYS[1] event  KEYS[2] queue  KEYS[3] state   (see joinQueue-5.lua)

  Returns {1, eventStatus, opened ('1'|''), soldOut ('1'|''), waiting, admittedTotal,
    admitPerSecond}    {-2} no such event   {-17} the event has no waiting room
]]
local event = redis.call('HMGET', KEYS[1], 'status', 'waitingRoom', 'openedAt', 'admitPerSecond')
if not event[1] then return {-2} end
if event[2] ~= '1' then return {-17} end
local state = redis.call('HMGET', KEYS[3], 'admitted', 'soldOut')
return {1, event[1], event[3] and '1' or '', state[2] == '1' and '1' or '',
  redis.call('ZCARD', KEYS[2]), tonumber(state[1]) or 0, tonumber(event[4]) or 0}
