--- @include "seatRows"
--- The most seats one BITFIELD call sets: few enough for unpack (Lua's stack) with four
--- arguments a seat, many enough that a hold or a block takes one call.
local SEATS_PER_CALL = 500

--- Sets the seats at `positions` (a list of 0-based positions, strings or numbers) to
--- `status` (a, h, s or b) in the category's seat string; the caller counts the change in
--- the category's `seatVersion` (setSeats does, placeHold.lua with the held count).
--- `freeDelta` (-1, 0 or 1) is what each seat's change does to its row's count of
--- available seats, kept beside the seats (`<seats>:free`, one u16 per row: see
--- freeSeats.lua). `seatRows`: the seats' rows (0-based) where the caller knows them
--- (exactSeats.lua, adjacentSeats.lua); others are found from `rows`, the category's row
--- starts (read here when the caller has not). Every seat is written by one BITFIELD SET
--- and every row's count by one INCRBY of a single call, not a call per seat: a script
--- pays for each call it makes as much as for a small command.
local function setSeatList(seatsKey, categoryKey, positions, seatRows, status, freeDelta, rows)
  local value, count = tostring(string.byte(status)), #positions
  local ops, n, byRow = {}, 0, {}
  for i = 1, count do
    local pos = positions[i]
    ops[n + 1], ops[n + 2], ops[n + 3], ops[n + 4] = 'SET', 'u8', '#' .. pos, value
    n = n + 4
    if n == SEATS_PER_CALL * 4 or i == count then
      redis.call('BITFIELD', seatsKey, unpack(ops, 1, n))
      n = 0
    end
    if freeDelta ~= 0 then
      local r = seatRows and seatRows[i]
      if not r then
        rows = rows or redis.call('HGET', categoryKey, 'rows')
        r = rowOfSeat(rows, tonumber(pos))
      end
      byRow[r] = (byRow[r] or 0) + freeDelta
    end
  end
  for r, delta in pairs(byRow) do
    ops[n + 1], ops[n + 2], ops[n + 3], ops[n + 4] = 'INCRBY', 'u16', '#' .. r, delta
    n = n + 4
    if n == SEATS_PER_CALL * 4 then
      redis.call('BITFIELD', seatsKey .. ':free', unpack(ops, 1, n))
      n = 0
    end
  end
  if n > 0 then redis.call('BITFIELD', seatsKey .. ':free', unpack(ops, 1, n)) end
end

--- setSeatList for `positions` comma-separated (as a hold keeps them in `seatPos`), and
--- the change counted in the category's `seatVersion` (what the seat status document's
--- version and ETag say). Returns the new version.
local function setSeats(seatsKey, categoryKey, positions, status, freeDelta, rows)
  local list = {}
  for pos in string.gmatch(positions, '%d+') do list[#list + 1] = pos end
  setSeatList(seatsKey, categoryKey, list, nil, status, freeDelta, rows)
  return redis.call('HINCRBY', categoryKey, 'seatVersion', 1)
end
