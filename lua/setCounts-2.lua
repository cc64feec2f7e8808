--[[
  setCounts: a category's stock counts and its holders' totals, as recomputed from the
  merged set of holds after a Redis data loss (the event is fenced meanwhile). Every
  holder of the event who has any hold in the merged set is passed, with zeros where all
  theirs ended, so stale totals are overwritten.

  KEYS[1] category  {ev:E}:cat:C   hash: capacity, held, confirmed, ...
  KEYS[2] event     {ev:E}:event   (only its key base is used: user hashes are named from it)

  ARGV[1] categoryId   ARGV[2] held   ARGV[3] confirmed
  ARGV[4] keyBase      {ev:E}:
  then per user of this category: userId, total (across the event), inCategory

  Returns {1} | {-1} bad arguments | {-3} no such category
]]
local categoryKey = KEYS[1]
local categoryId = ARGV[1]
local held, confirmed = tonumber(ARGV[2]), tonumber(ARGV[3])
local keyBase = ARGV[4]
if categoryId == nil or categoryId == '' or not held or held < 0 or not confirmed
  or confirmed < 0 or keyBase == nil or keyBase == '' or (#ARGV - 4) % 3 ~= 0 then
  return {-1}
end
if redis.call('EXISTS', categoryKey) == 0 then return {-3} end
redis.call('HSET', categoryKey, 'held', held, 'confirmed', confirmed)
for i = 5, #ARGV, 3 do
  local userKey = keyBase .. 'user:' .. ARGV[i]
  redis.call('HSET', userKey, 'total', ARGV[i + 1], 'c:' .. categoryId, ARGV[i + 2])
end
return {1}
