--- Reads a hold hash into a table with numbers where numbers belong; nil if absent.
local function readHold(holdKey)
  local raw = redis.call('HGETALL', holdKey)
  if #raw == 0 then return nil end
  local h = {}
  for i = 1, #raw, 2 do h[raw[i]] = raw[i + 1] end
  h.quantity = tonumber(h.quantity)
  h.seq = tonumber(h.seq)
  h.expiresAt = tonumber(h.expiresAt)
  h.createdAt = tonumber(h.createdAt)
  return h
end
