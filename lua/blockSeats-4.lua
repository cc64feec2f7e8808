--[[
  blockSeats: an admin takes seats off sale or puts them back (SPEC §8). A held or sold
  seat cannot be blocked: nothing changes then. Blocking an available seat lowers what
  can be sold (capacity) by one, unblocking raises it again.

  KEYS[1] category  {ev:E}:cat:C      KEYS[2] seats  {ev:E}:seats:C
  KEYS[3] seatPos   {ev:E}:seatpos:C  (seat id -> '<position>:<row>')
  KEYS[4] event     {ev:E}:event  (its shard channel)

  ARGV[1] n, the number of seats to block; ARGV[2..n+1] their ids; the rest: the ids
  of the seats to unblock

  Returns {1, seatVersion} | {-1} bad arguments | {-3} not a seated category
    | {-23, id, ...} ids the map does not have | {-22, id, ...} held or sold seats
]]
--- @include "setSeats"

local categoryKey, seatsKey, seatPosKey, eventKey = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local n = tonumber(ARGV[1])
if not n or n < 0 or n > #ARGV - 1 then return {-1} end
if redis.call('HGET', categoryKey, 'seated') ~= '1' then return {-3} end

local ids = { unpack(ARGV, 2) }
if #ids == 0 then return {1, redis.call('HGET', categoryKey, 'seatVersion')} end
local found = redis.call('HMGET', seatPosKey, unpack(ids))
local unknown, taken, block, unblock = {}, {}, {}, {}
for i, id in ipairs(ids) do
  local pos = found[i] and seatPlace(found[i])
  if not pos then
    unknown[#unknown + 1] = id
  else
    local status = redis.call('GETRANGE', seatsKey, pos, pos)
    if i <= n then
      if status == 'h' or status == 's' then taken[#taken + 1] = id end
      if status == 'a' then block[#block + 1] = pos end
    elseif status == 'b' then
      unblock[#unblock + 1] = pos
    end
  end
end
if #unknown > 0 then return {-23, unpack(unknown)} end
if #taken > 0 then return {-22, unpack(taken)} end

local change = #block - #unblock
if #block > 0 then setSeats(seatsKey, categoryKey, table.concat(block, ','), 'b', -1) end
if #unblock > 0 then setSeats(seatsKey, categoryKey, table.concat(unblock, ','), 'a', 1) end
if change ~= 0 then
  redis.call('HINCRBY', categoryKey, 'blocked', change)
  redis.call('HINCRBY', categoryKey, 'capacity', -change)
end
if #block + #unblock > 0 then redis.call('SPUBLISH', eventKey, 'seats') end
return {1, redis.call('HGET', categoryKey, 'seatVersion')}
