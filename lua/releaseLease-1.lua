--[[
  releaseLease: gives a lease up, only if `owner` still holds it.

  KEYS[1] lease   ARGV[1] owner
  Returns {1} released, {0} not held by owner.
]]
local leaseKey = KEYS[1]
if redis.call('GET', leaseKey) == ARGV[1] then
  redis.call('DEL', leaseKey)
  return {1}
end
return {0}
