--- @include "seatRows"
--- A seated category's available seats per row, kept beside its seat string
--- (`<seats>:free`: one big-endian u16 per row, as BITFIELD u16 #r reads it), so a
--- best-available pick skips rows without enough seats without reading them: a script pays
--- about a microsecond per kilobyte it reads from Redis, and a 60,000-seat string is 60.

--- Row `r`'s count (0-based) in the counts string `free`.
local function freeInRow(free, r)
  local hi, lo = string.byte(free, r * 2 + 1, r * 2 + 2)
  return (hi or 0) * 256 + (lo or 0)
end

--- Counts every row's available seats again from the seat string (after a bulk change).
local function recountFree(seatsKey, rows)
  local state = redis.call('GET', seatsKey) or ''
  local packed = {}
  for r = 0, #rows / 6 - 2 do
    local row = string.sub(state, rowStart(rows, r) + 1, rowStart(rows, r + 1))
    local _, n = string.gsub(row, 'a', '')
    packed[#packed + 1] = string.char(math.floor(n / 256), n % 256)
  end
  redis.call('SET', seatsKey .. ':free', table.concat(packed))
end
