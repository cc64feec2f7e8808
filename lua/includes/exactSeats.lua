--- @include "seatRows"
--- The seats a hold of exactly `ids` (a list of seat ids, none twice) would take, or nil
--- and the refusal: {-23, id, ...} ids the map does not have, {-22, id, ...} seats not
--- available, {-25} a lone empty seat left beside them (with `noGaps`). On success
--- {ids = 'A-1-1,...', positions = '0,...'}. `k` holds the keys seats, seatPos; `rows` is
--- the category's row starts (seatRows.lua). Reads only.
local function exactSeats(k, ids, rows, noGaps)
  local found = redis.call('HMGET', k.seatPos, unpack(ids))
  local unknown, taken, positions = {}, {}, {}
  for i, id in ipairs(ids) do
    if not found[i] then
      unknown[#unknown + 1] = id
    else
      local pos = tonumber(found[i])
      positions[i] = pos
      if redis.call('GETRANGE', k.seats, pos, pos) ~= 'a' then taken[#taken + 1] = id end
    end
  end
  if #unknown > 0 then return nil, {-23, unpack(unknown)} end
  if #taken > 0 then return nil, {-22, unpack(taken)} end
  if noGaps then
    local chosen = {}
    for _, pos in ipairs(positions) do chosen[pos] = true end
    -- A seat is free after the hold when it is available now and not chosen.
    local function free(pos, first, last)
      if pos < first or pos > last or chosen[pos] then return false end
      return redis.call('GETRANGE', k.seats, pos, pos) == 'a'
    end
    for _, pos in ipairs(positions) do
      local r = rowOfSeat(rows, pos)
      local first, last = rowStart(rows, r), rowStart(rows, r + 1) - 1
      -- A free neighbour whose other side is taken or the row's end is left alone.
      for _, step in ipairs({-1, 1}) do
        local n = pos + step
        if free(n, first, last) and not free(n + step, first, last) then return nil, {-25} end
      end
    end
  end
  local csv = {}
  for i, pos in ipairs(positions) do csv[i] = tostring(pos) end
  return {ids = table.concat(ids, ','), positions = table.concat(csv, ',')}, nil
end
