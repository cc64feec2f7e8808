--- Appends every category of an event to `reply`, seven fields each: id, name, capacity,
--- held, confirmed, perUserLimit ('' when the category has none) and, for a seated one, the
--- version of its seats ('' when unseated: a stream tells a seat map on screen it changed,
--- and the api's copy of the seat status knows it is current). `categoriesKey` is the
--- event's set of category ids, `categoryKey` the category hashes' common name (same hash
--- tag, same slot). Reads only.
local function appendCategories(reply, categoriesKey, categoryKey)
  for _, id in ipairs(redis.call('SMEMBERS', categoriesKey)) do
    local c = redis.call('HMGET', categoryKey .. id, 'id', 'name', 'capacity', 'held',
      'confirmed', 'perUserLimit', 'seatVersion')
    if c[1] then
      for i = 1, 7 do
        reply[#reply + 1] = c[i] or ''
      end
    end
  end
  return reply
end
