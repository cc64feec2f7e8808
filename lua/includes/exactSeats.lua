--- @include "seatRows"
--- The seats a hold of exactly `ids` (a list of seat ids, none twice) would take, or nil
--- and the refusal: {-23, id, ...} ids the map does not have, {-22, id, ...} seats not
--- available, {-25} a lone empty seat left beside them (with `noGaps`). On success
--- {ids = 'A-1-1,...', positions = '0,...', list = {positions}, rows = {their rows}}.
--- `k` holds the keys category, seats, seatPos. Reads only: one HMGET finds the seats'
--- places (position and row, seatRows.lua) and one BITFIELD_RO reads their statuses, and
--- with `noGaps` those of their neighbours in the row, whatever the number of seats; only
--- `noGaps` reads the row starts, for the rows' ends.
local function exactSeats(k, ids, noGaps)
  local places = redis.call('HMGET', k.seatPos, unpack(ids))
  local unknown, positions, seatRows, reads = nil, {}, {}, {}
  for i, id in ipairs(ids) do
    local pos, row
    if places[i] then pos, row = seatPlace(places[i]) end
    if pos then
      local n = #reads
      positions[i], seatRows[i] = pos, row
      reads[n + 1], reads[n + 2], reads[n + 3] = 'GET', 'u8', '#' .. pos
    else
      unknown = unknown or {}
      unknown[#unknown + 1] = id
    end
  end
  if unknown then return nil, {-23, unpack(unknown)} end

  -- With noGaps: each seat's row ends, and its neighbours up to two seats away in the row
  -- (the chosen seats aside), read in the same call as the seats after them.
  local count = #ids
  local at, firsts, lasts, chosen, around
  if noGaps then
    at, firsts, lasts, chosen, around = {}, {}, {}, {}, {}
    local rows = redis.call('HGET', k.category, 'rows')
    for i = 1, count do
      at[i] = tonumber(positions[i])
      chosen[at[i]] = true
    end
    for i = 1, count do
      local p = at[i]
      local first, last
      if i > 1 and seatRows[i] and seatRows[i] == seatRows[i - 1] then
        first, last = firsts[i - 1], lasts[i - 1]
      else
        local r = tonumber(seatRows[i]) or rowOfSeat(rows, p)
        first, last = rowStart(rows, r), rowStart(rows, r + 1) - 1
      end
      firsts[i], lasts[i] = first, last
      for m = math.max(p - 2, first), math.min(p + 2, last) do
        if not chosen[m] and not around[m] then
          local n = #reads
          around[m] = n / 3 + 1
          reads[n + 1], reads[n + 2], reads[n + 3] = 'GET', 'u8', '#' .. m
        end
      end
    end
  end

  local statuses = redis.call('BITFIELD_RO', k.seats, unpack(reads))
  local available = string.byte('a')
  local taken
  for i, id in ipairs(ids) do
    if statuses[i] ~= available then
      taken = taken or {}
      taken[#taken + 1] = id
    end
  end
  if taken then return nil, {-22, unpack(taken)} end
  if noGaps then
    -- A seat is free after the hold when it is available now and not chosen.
    local function free(m, first, last)
      if m < first or m > last or chosen[m] then return false end
      return statuses[around[m]] == available
    end
    for i = 1, count do
      local p, first, last = at[i], firsts[i], lasts[i]
      -- A free neighbour whose other side is taken or the row's end is left alone.
      for step = -1, 1, 2 do
        local m = p + step
        if free(m, first, last) and not free(m + step, first, last) then return nil, {-25} end
      end
    end
  end
  return {ids = table.concat(ids, ','), positions = table.concat(positions, ','),
    list = positions, rows = seatRows}, nil
end
