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
