--[[
  setEventState: an event's sale state and hold rules, as the reserve script reads them.
  Moves of the status state machine are checked in TypeScript against Postgres; Redis
  takes the result at once so sales open, pause or stop immediately.

  KEYS[1] event        {ev:E}:event   hash: status, holdTtl, perUserLimit

  ARGV[1] status       draft | on_sale | paused | closed | cancelled, or rebuilding
                       (sales held while the rebuild recomputes the stock)
  ARGV[2] holdTtl      seconds a hold lives, > 0
  ARGV[3] perUserLimit tickets one user may hold + buy across the event, > 0

  Returns {1} | {-1} bad arguments
]]
local eventKey = KEYS[1]
local status = ARGV[1]
local holdTtl = tonumber(ARGV[2])
local perUserLimit = tonumber(ARGV[3])

local valid = { draft = true, on_sale = true, paused = true, closed = true, cancelled = true,
  rebuilding = true }
if not valid[status] or not holdTtl or holdTtl < 1 or not perUserLimit or perUserLimit < 1 then
  return {-1}
end

redis.call('HSET', eventKey, 'status', status, 'holdTtl', holdTtl, 'perUserLimit', perUserLimit)
return {1}
