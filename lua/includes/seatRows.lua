--- Where row `r` (0-based) of a seated category starts, in seat order, from its `rows`
--- field: six digits per row start, and one more for the number of seats (see
--- core/catalog/seat-map.ts, rowStartsField). Row `r` is the seats [start(r), start(r+1)).
local function rowStart(rows, r)
  return tonumber(string.sub(rows, r * 6 + 1, r * 6 + 6))
end

--- The row (0-based) of the seat at `pos` (0-based), by halving the row starts.
local function rowOfSeat(rows, pos)
  local lo, hi = 0, #rows / 6 - 2
  while lo < hi do
    local mid = math.floor((lo + hi + 1) / 2)
    if rowStart(rows, mid) <= pos then lo = mid else hi = mid - 1 end
  end
  return lo
end

--- A seat's place as the category's seatPos hash keeps it, '<position>:<row>' (0-based
--- both; setSeatMap-5.lua writes it): the position and the row, as strings, so a hold
--- finds its seats' rows without reading and searching the category's row starts.
--- A place kept before the row was (the position alone) gives the row as nil.
local function seatPlace(place)
  local pos, row = string.match(place, '^(%d+):?(%d*)$')
  if row == '' then row = nil end
  return pos, row
end
