--[[
  acquireLease: takes or renews an exclusive, expiring lease (the relay's right to publish
  one event's outbox). Renewing works only for the owner; a crashed owner's lease lapses.

  KEYS[1] lease   {ev:E}:outbox:lease   string: the owner
  ARGV[1] owner   ARGV[2] ttlMs

  Returns {1} when `owner` holds the lease now, {0} when someone else does, {-1} bad arguments.
]]
local leaseKey = KEYS[1]
local owner, ttlMs = ARGV[1], tonumber(ARGV[2])
if owner == nil or owner == '' or not ttlMs or ttlMs < 1 then return {-1} end

local current = redis.call('GET', leaseKey)
if current and current ~= owner then return {0} end
redis.call('SET', leaseKey, owner, 'PX', ttlMs)
return {1}
