--- @include "seatRows"
--- Sets the seats at `positions` (comma-separated, 0-based) to `status` (a, h, s or b) in
--- the category's seat string, and counts the change in the category's `seatVersion`
--- (what the seat status document's version and ETag say). `freeDelta` (-1, 0 or 1) is
--- what each seat's change does to its row's count of available seats, kept beside the
--- seats (`<seats>:free`, one u16 per row: see freeSeats.lua). `rows`: the category's row
--- starts when the caller has them (read here otherwise). Returns the new version.
local function setSeats(seatsKey, categoryKey, positions, status, freeDelta, rows)
  local byRow = {}
  for pos in string.gmatch(positions, '%d+') do
    pos = tonumber(pos)
    redis.call('SETRANGE', seatsKey, pos, status)
    if freeDelta ~= 0 then
      rows = rows or redis.call('HGET', categoryKey, 'rows')
      local r = rowOfSeat(rows, pos)
      byRow[r] = (byRow[r] or 0) + freeDelta
    end
  end
  local ops = {}
  for r, delta in pairs(byRow) do
    ops[#ops + 1] = 'INCRBY'
    ops[#ops + 1] = 'u16'
    ops[#ops + 1] = '#' .. r
    ops[#ops + 1] = delta
  end
  if #ops > 0 then redis.call('BITFIELD', seatsKey .. ':free', unpack(ops)) end
  return redis.call('HINCRBY', categoryKey, 'seatVersion', 1)
end
