--[[
  setSeatMap: seeds a seated category (SPEC §8), or sets it again as the catalog says
  (a resync, a rebuild): its seats in map order, one status byte each (a available,
  h held, s sold, b blocked), the seat ids both ways, the row starts, the gap rule, and
  the blocked seats exactly as given — only an available seat is blocked and only a
  blocked one unblocked: held and sold seats are the holds', never the catalog's.
  capacity = the seats less the blocked ones (what can be sold), so every reserve, view
  and availability read counts seats as it counts tickets.

  KEYS[1] category    {ev:E}:cat:C      hash: capacity, held, confirmed, perUserLimit, name,
                                        seated, seats, blocked, rows, noGaps, seatVersion
  KEYS[2] categories  {ev:E}:cats       set of the event's category ids
  KEYS[3] seats       {ev:E}:seats:C    string, one byte per seat
  KEYS[4] seatPos     {ev:E}:seatpos:C  hash: seat id -> '<position>:<row>' (seatRows.lua)
  KEYS[5] seatIds     {ev:E}:seatid:C   hash: position -> seat id

  ARGV[1] categoryId  ARGV[2] name  ARGV[3] perUserLimit (0: the event's only)
  ARGV[4] noGaps '1' | ''
  ARGV[5] rows        the row starts, six digits each, and the number of seats
  ARGV[6] blocked     the blocked seats' positions, comma-separated
  ARGV[7..] every seat id, in map order; or none, when Redis is likely to have them (a
            resync, a rename during a sale: tens of thousands of ids are a long step for
            the event's one Redis core, and a map never changes once created)

  Returns {1, available} | {-1} bad arguments, or a map of another size than Redis has |
    {-30} the seat ids are needed (no ids given, and Redis has none, or not with rows):
    call again with them
]]
--- @include "setSeats"
--- @include "freeSeats"

local categoryKey, categoriesKey, seatsKey, seatPosKey, seatIdsKey =
  KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local categoryId, name, perUserLimit = ARGV[1], ARGV[2], tonumber(ARGV[3])
local noGaps, rows, blocked = ARGV[4], ARGV[5], ARGV[6]
local given = #ARGV - 6
local count = rows and tonumber(string.sub(rows, -6))
if categoryId == nil or categoryId == '' or not name or not perUserLimit or perUserLimit < 0
  or rows == nil or #rows < 12 or #rows % 6 ~= 0 or not count or count < 1
  or (given ~= 0 and given ~= count) or blocked == nil then
  return {-1}
end

-- The seat ids both ways; an id's place is its position and its row, so a hold of exact
-- seats needs no row starts.
local function writeIds()
  redis.call('DEL', seatPosKey, seatIdsKey)
  local row, nextRow = 0, rowStart(rows, 1)
  for i = 7, #ARGV, 500 do
    local byId, byPos = {}, {}
    for j = i, math.min(i + 499, #ARGV) do
      local pos = j - 7
      while pos >= nextRow do
        row = row + 1
        nextRow = rowStart(rows, row + 1)
      end
      byId[#byId + 1] = ARGV[j]
      byId[#byId + 1] = string.format('%d:%d', pos, row)
      byPos[#byPos + 1] = pos
      byPos[#byPos + 1] = ARGV[j]
    end
    redis.call('HSET', seatPosKey, unpack(byId))
    redis.call('HSET', seatIdsKey, unpack(byPos))
  end
end

local state = redis.call('GET', seatsKey)
if state and #state ~= count then return {-1} end
if not state then
  if given == 0 then return {-30} end
  state = string.rep('a', count)
  redis.call('SET', seatsKey, state)
  writeIds()
else
  -- Seeded before the places named the row (or the ids lost): written again, from the
  -- ids given (the map's own), or asked for.
  local first = given > 0 and ARGV[7] or redis.call('HGET', seatIdsKey, '0')
  local _, row = seatPlace(first and redis.call('HGET', seatPosKey, first) or '')
  if not row then
    if given == 0 then return {-30} end
    writeIds()
  end
end

-- The blocks as the catalog has them: available ones blocked, the rest unblocked.
local wanted = {}
for pos in string.gmatch(blocked, '%d+') do wanted[tonumber(pos)] = true end
local block, unblock = {}, {}
for pos in pairs(wanted) do
  if string.sub(state, pos + 1, pos + 1) == 'a' then block[#block + 1] = pos end
end
local from = 1
while true do
  local p = string.find(state, 'b', from, true)
  if not p then break end
  if not wanted[p - 1] then unblock[#unblock + 1] = p - 1 end
  from = p + 1
end
if #block > 0 then setSeats(seatsKey, categoryKey, table.concat(block, ','), 'b', 0) end
if #unblock > 0 then setSeats(seatsKey, categoryKey, table.concat(unblock, ','), 'a', 0) end

local _, blockedNow = string.gsub(redis.call('GET', seatsKey), 'b', '')
local counts = redis.call('HMGET', categoryKey, 'held', 'confirmed')
local taken = (tonumber(counts[1]) or 0) + (tonumber(counts[2]) or 0)
local capacity = count - blockedNow
redis.call('HSET', categoryKey, 'id', categoryId, 'name', name, 'perUserLimit', perUserLimit,
  'capacity', capacity, 'seated', '1', 'seats', count, 'blocked', blockedNow, 'rows', rows,
  'noGaps', noGaps)
redis.call('HSETNX', categoryKey, 'held', 0)
redis.call('HSETNX', categoryKey, 'confirmed', 0)
redis.call('HSETNX', categoryKey, 'seatVersion', 0)
recountFree(seatsKey, rows)
redis.call('SADD', categoriesKey, categoryId)
return {1, capacity - taken}
