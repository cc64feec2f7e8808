--- @include "seatRows"
--- @include "freeSeats"
--- The best window of `q` available seats in `row` (one row's statuses, which starts at
--- seat `first`): the one whose middle is nearest the row's middle, the leftmost of two as
--- near. With `noGaps` a window may not leave one lone available seat beside it (its run's
--- other end is a taken seat or the row's end). Returns its first seat (nil when none) and
--- whether the row had `q` adjacent seats at all.
local function bestWindowInRow(row, first, q, noGaps)
  local middle = (#row - 1) / 2
  local best, bestDistance, any = nil, nil, false
  local from = 1
  while true do
    local s, e = string.find(row, 'a+', from)
    if not s then break end
    local runFirst, runLast = s - 1, e - 1
    if runLast - runFirst + 1 >= q then
      any = true
      local lo, hi = runFirst, runLast - q + 1
      -- The nearest start is the ideal one, clamped to the run; where that leaves a lone
      -- seat, its neighbours; the run's two ends never do.
      local c = math.min(math.max(math.floor(middle - (q - 1) / 2 + 0.5), lo), hi)
      for _, w in ipairs({c, c - 1, c + 1, lo, hi}) do
        if w >= lo and w <= hi
          and (not noGaps or (w - runFirst ~= 1 and runLast - (w + q - 1) ~= 1)) then
          local d = math.abs(w + (q - 1) / 2 - middle)
          if not best or d < bestDistance or (d == bestDistance and w < best) then
            best, bestDistance = w, d
          end
        end
      end
    end
    from = e + 1
  end
  return best and first + best, any
end

--- Where `q` adjacent available seats start (0-based) in the front-most row that has them
--- (rows in map order), and that row (0-based); or nil, nil and the refusal: {-24} no row
--- has `q` adjacent seats, {-25} some do, but every choice would leave a lone seat
--- (`noGaps`). A row with fewer than `q` available seats is skipped by its count alone
--- (freeSeats.lua); only rows that may hold a window are read, one GETRANGE each.
local function adjacentSeats(seatsKey, rows, q, noGaps)
  local free = redis.call('GET', seatsKey .. ':free') or ''
  local gapsOnly = false
  for r = 0, #rows / 6 - 2 do
    if freeInRow(free, r) >= q then
      local first, next = rowStart(rows, r), rowStart(rows, r + 1)
      local row = redis.call('GETRANGE', seatsKey, first, next - 1)
      local w, any = bestWindowInRow(row, first, q, noGaps)
      if w then return w, r, nil end
      gapsOnly = gapsOnly or any
    end
  end
  return nil, nil, gapsOnly and {-25} or {-24}
end
