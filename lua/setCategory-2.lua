--[[
  setCategory: seeds a category's stock, or adjusts its capacity and per-user limit.
  Capacity may never go below what is held + confirmed.

  KEYS[1] category     {ev:E}:cat:C   hash: capacity, held, confirmed, perUserLimit, name
  KEYS[2] categories   {ev:E}:cats    set of the event's category ids

  ARGV[1] categoryId
  ARGV[2] capacity      >= 0
  ARGV[3] perUserLimit  0 = only the event's limit applies
  ARGV[4] name

  Returns {1, available} | {-1} bad arguments | {-12, heldPlusConfirmed} capacity below sold
]]
local categoryKey = KEYS[1]
local categoriesKey = KEYS[2]
local categoryId = ARGV[1]
local capacity = tonumber(ARGV[2])
local perUserLimit = tonumber(ARGV[3])
local name = ARGV[4]

if categoryId == '' or not capacity or capacity < 0 or capacity ~= math.floor(capacity)
  or not perUserLimit or perUserLimit < 0 or not name then
  return {-1}
end

local counts = redis.call('HMGET', categoryKey, 'held', 'confirmed')
local taken = (tonumber(counts[1]) or 0) + (tonumber(counts[2]) or 0)
if capacity < taken then
  return {-12, taken}
end

redis.call('HSET', categoryKey, 'capacity', capacity, 'perUserLimit', perUserLimit, 'name', name,
  'id', categoryId)
redis.call('HSETNX', categoryKey, 'held', 0)
redis.call('HSETNX', categoryKey, 'confirmed', 0)
redis.call('SADD', categoriesKey, categoryId)
return {1, capacity - taken}
