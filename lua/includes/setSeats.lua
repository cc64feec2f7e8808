--- Sets the seats at `positions` (comma-separated, 0-based) to `status` (a, h, s or b) in
--- the category's seat string, and counts the change in the category's `seatVersion`
--- (what the seat status document's version and ETag say). Returns the new version.
local function setSeats(seatsKey, categoryKey, positions, status)
  for pos in string.gmatch(positions, '%d+') do
    redis.call('SETRANGE', seatsKey, tonumber(pos), status)
  end
  return redis.call('HINCRBY', categoryKey, 'seatVersion', 1)
end
