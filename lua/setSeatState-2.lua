--[[
  setSeatState: a seated category's seats as recomputed from the merged set of holds
  after a Redis data loss (the event is fenced meanwhile; core/records/rebuild.ts): every
  held or sold seat is available again, then the standing holds' seats are held or sold.
  Blocked seats stay blocked.

  KEYS[1] category  {ev:E}:cat:C    KEYS[2] seats  {ev:E}:seats:C
  ARGV[1] held      positions of the seats of live holds, comma-separated
  ARGV[2] sold      positions of the seats of sales, comma-separated

  Returns {1, seatVersion} | {-3} not a seated category
]]
--- @include "setSeats"
--- @include "freeSeats"

local categoryKey, seatsKey = KEYS[1], KEYS[2]
if redis.call('HGET', categoryKey, 'seated') ~= '1' then return {-3} end
local state = string.gsub(redis.call('GET', seatsKey) or '', '[hs]', 'a')
redis.call('SET', seatsKey, state)
setSeats(seatsKey, categoryKey, ARGV[1] or '', 'h', 0)
local version = setSeats(seatsKey, categoryKey, ARGV[2] or '', 's', 0)
recountFree(seatsKey, redis.call('HGET', categoryKey, 'rows'))
return {1, version}
