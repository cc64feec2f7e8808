--- @include "seatRows"
--- The best window of `q` available seats in the row [first, last] (0-based, inclusive) of
--- `state` (the category's seat string): the one whose middle is nearest the row's middle,
--- the leftmost of two as near. With `noGaps` a window may not leave one lone available
--- seat beside it (its run's other end is a taken seat or the row's end). nil when none.
local function bestWindowInRow(state, first, last, q, noGaps)
  local middle = (first + last) / 2
  local best, bestDistance = nil, nil
  local from = first + 1
  while from <= last + 1 do
    local s, e = string.find(state, 'a+', from)
    if not s or s > last + 1 then break end
    if e > last + 1 then e = last + 1 end
    local runFirst, runLast = s - 1, e - 1
    if runLast - runFirst + 1 >= q then
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
  return best
end

--- Where `q` adjacent available seats start (0-based) in the front-most row that has them
--- (rows in map order), or nil and the refusal: {-24} no row has `q` adjacent seats,
--- {-25} some do, but every choice would leave a lone seat (`noGaps`). Rows without such a
--- run cost one plain string.find over them, in C: a full front does not slow a pick.
local function adjacentSeats(state, rows, q, noGaps)
  local need = string.rep('a', q)
  local from = 1
  local gapsOnly = false
  while true do
    local p = string.find(state, need, from, true)
    if not p then break end
    local r = rowOfSeat(rows, p - 1)
    local first, last = rowStart(rows, r), rowStart(rows, r + 1) - 1
    -- The first run of q from `from` on may cross into the next row: this row has none.
    if p + q - 2 <= last then
      local w = bestWindowInRow(state, first, last, q, noGaps)
      if w then return w, nil end
      gapsOnly = true
    end
    from = last + 2
  end
  return nil, gapsOnly and {-25} or {-24}
end
