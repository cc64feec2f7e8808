--[[
  availability: an event's sale state and the live stock of every category, in one round
  trip. It is the read every client polls during a drop, so it is one command, not three.

  KEYS[1] event        {ev:E}:event   hash: status, holdTtl, perUserLimit
  KEYS[2] categories   {ev:E}:cats    set of the event's category ids

  ARGV[1] categoryKey  {ev:E}:cat:    the category hashes' common name; each is this plus
                       its id. They are named from the set, so they cannot be passed as
                       KEYS, but they carry the event's hash tag: same slot, so the script
                       is as cluster-safe as the ones that get every key passed in.

  Reads only. Returns {} for an unknown event, else
    {status, holdTtl, perUserLimit, then per category: id, name, capacity, held, confirmed,
     perUserLimit ('' when the category has none)}
]]
--- @include "appendCategories"
local event = redis.call('HMGET', KEYS[1], 'status', 'holdTtl', 'perUserLimit')
if not event[1] then
  return {}
end

local reply = { event[1], event[2] or '', event[3] or '' }
return appendCategories(reply, KEYS[2], ARGV[1])
